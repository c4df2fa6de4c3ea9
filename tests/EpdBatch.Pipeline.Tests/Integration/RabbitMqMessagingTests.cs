using EpdBatch.Pipeline.Tests.Support;
using RabbitMQ.Client;

namespace EpdBatch.Pipeline.Tests.Integration;

/// <summary>The distributed bus over the RabbitMQ that ./test.sh starts.</summary>
public class RabbitMqMessagingTests : MessagingContract
{
    protected override EpdConnectionOptions Connections { get; } = new() { RabbitMq = TestServers.RabbitMq };

    /// <summary>
    /// The test queues are auto-delete, but MassTransit's error queues for them never had a consumer, so the broker
    /// keeps them (with the faulted test messages): delete them, and their exchanges, by name.
    /// </summary>
    protected override async Task CleanUpAsync()
    {
        var factory = new ConnectionFactory { Uri = new Uri(TestServers.RabbitMq) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        foreach (var queue in new[] { Probe.QueueName, Probe.QueueName + "-faults" })
        {
            foreach (var name in new[] { queue + "_error", queue + "_skipped" })
            {
                await channel.QueueDeleteAsync(name);
                await channel.ExchangeDeleteAsync(name);
            }

            await channel.ExchangeDeleteAsync(queue);
        }
    }
}
