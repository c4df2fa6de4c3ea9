using System.Security.Cryptography;
using System.Text;
using EpdBatch.Contracts;
using EpdBatch.Pipeline.Messaging;
using MassTransit;
using Microsoft.Extensions.Options;

namespace EpdBatch.Ingest.Coordination;

/// <summary>
/// Sends encode commands to <see cref="IngestOptions.EncodeQueue"/> (the encoders' queue,
/// <see cref="PipelineQueues.Encode"/>, unless set otherwise). Sent, not published: the send declares the queue, so
/// the items of a job submitted before any encoder ever started wait there instead of being dropped (see
/// <see cref="PipelineQueues"/>). Each message id is derived from (job, item), so the copies of an item sent again
/// after a crash carry the same id.
/// </summary>
internal sealed class EncodeDispatcher(IBus bus, IOptions<IngestOptions> options)
{
    private readonly Uri _queue = PipelineQueues.AddressOf(options.Value.EncodeQueue);

    public async Task SendAsync(EncodeItem item, CancellationToken ct)
    {
        var messageId = MessageIdOf(item.JobId, item.ItemIndex);
        var endpoint = await bus.GetSendEndpoint(_queue);
        await endpoint.Send(item, context => context.MessageId = messageId, ct);
    }

    internal static Guid MessageIdOf(string jobId, int itemIndex) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes($"encode:{jobId}:{itemIndex}")).AsSpan(0, 16));
}
