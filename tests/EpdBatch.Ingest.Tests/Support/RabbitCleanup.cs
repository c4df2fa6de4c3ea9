using RabbitMQ.Client;

namespace EpdBatch.Ingest.Tests.Support;

/// <summary>Deletes a test's queues (and the exchanges MassTransit names after them), so that durable ones do not pile up on the shared broker.</summary>
internal static class RabbitCleanup
{
    public static async Task DeleteAsync(IEnumerable<string> names)
    {
        var factory = new ConnectionFactory { Uri = new Uri(TestServers.RabbitMq) };
        await using var connection = await factory.CreateConnectionAsync();
        foreach (var name in names)
        {
            // One channel per delete: a delete of something missing closes the channel.
            await using (var channel = await connection.CreateChannelAsync())
            {
                try
                {
                    await channel.QueueDeleteAsync(name);
                }
                catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
                {
                }
            }

            await using (var channel = await connection.CreateChannelAsync())
            {
                try
                {
                    await channel.ExchangeDeleteAsync(name);
                }
                catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
                {
                }
            }
        }
    }
}
