using EpdBatch.Pipeline.Tests.Support;

namespace EpdBatch.Pipeline.Tests.Integration;

/// <summary>The distributed bus over the RabbitMQ that ./test.sh starts.</summary>
public class RabbitMqMessagingTests : MessagingContract
{
    protected override EpdConnectionOptions Connections { get; } = new() { RabbitMq = TestServers.RabbitMq };
}
