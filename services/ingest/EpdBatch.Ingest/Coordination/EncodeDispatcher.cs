using System.Security.Cryptography;
using System.Text;
using EpdBatch.Contracts;
using MassTransit;
using Microsoft.Extensions.Options;

namespace EpdBatch.Ingest.Coordination;

/// <summary>
/// Sends encode commands: published (to every endpoint bound to <see cref="EncodeItem"/>) or, where
/// <see cref="IngestOptions.EncodeQueue"/> is set, sent to that queue alone. Each message id is derived from
/// (job, item), so the copies of an item sent again after a crash carry the same id.
/// </summary>
internal sealed class EncodeDispatcher(IBus bus, IOptions<IngestOptions> options)
{
    private readonly Uri? _queue = options.Value.EncodeQueue is { } name ? new Uri("queue:" + name) : null;

    public async Task SendAsync(EncodeItem item, CancellationToken ct)
    {
        var messageId = MessageIdOf(item.JobId, item.ItemIndex);
        if (_queue is null)
        {
            await bus.Publish(item, context => context.MessageId = messageId, ct);
            return;
        }

        var endpoint = await bus.GetSendEndpoint(_queue);
        await endpoint.Send(item, context => context.MessageId = messageId, ct);
    }

    internal static Guid MessageIdOf(string jobId, int itemIndex) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes($"encode:{jobId}:{itemIndex}")).AsSpan(0, 16));
}
