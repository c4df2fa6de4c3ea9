using EpdBatch.Pipeline.Tests.Support;

namespace EpdBatch.Pipeline.Tests.Unit;

/// <summary>The embedded mode's bus: no EPD_RABBITMQ, so MassTransit's in-memory transport.</summary>
public class InMemoryMessagingTests : MessagingContract
{
    protected override EpdConnectionOptions Connections { get; } = new();
}
