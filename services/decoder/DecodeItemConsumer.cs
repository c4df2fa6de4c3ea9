using EpdBatch.Contracts;
using EpdBatch.Model.Stages;
using EpdBatch.Pipeline;
using EpdBatch.Pipeline.Progress;
using EpdBatch.Pipeline.Storage;
using EpdBatch.Stages;
using MassTransit;

namespace EpdBatch.Decoder;

/// <summary>
/// Loads an item's KV snapshot into the running decode batch, waits for its sequence to finish, publishes the
/// result and deletes the snapshot. The message stays unacknowledged (so a crash redelivers it) until the result
/// is out. An item of a cancelled job is reported as cancelled instead of joining the batch, and its snapshot deleted.
/// Where the snapshot is gone, the item goes back to the encoder (<see cref="ItemConsumption.SendBackAsync"/>).
/// </summary>
public sealed class DecodeItemConsumer(
    DecodeLoop loop,
    ITensorStore tensors,
    IStageProgress progress,
    IJobCancellation cancellation,
    ItemConsumption consumption,
    TimeProvider time) : IConsumer<DecodeItem>
{
    public Task Consume(ConsumeContext<DecodeItem> context)
    {
        var item = context.Message;
        return consumption.RunAsync(context, PipelineStages.Decoder, item.JobId, item.ItemIndex, item.CustomId, () => DecodeAsync(context));
    }

    private async Task DecodeAsync(ConsumeContext<DecodeItem> context)
    {
        var item = context.Message;
        var ct = context.CancellationToken;
        if (await consumption.SkipIfCancelledAsync(context, cancellation, PipelineStages.Decoder, item.JobId, item.ItemIndex, item.CustomId))
        {
            await tensors.DeleteAsync(item.KvKey, ct);
            return;
        }
        var started = time.GetUtcNow();
        var bytes = await tensors.GetAsync(item.KvKey, ct);
        if (bytes is null)
        {
            // Prefill made it from the multimodal tokens, which it deleted: only the encoder can start the item again.
            await consumption.SendBackAsync(context, PipelineStages.Decoder, item.JobId, item.ItemIndex, item.Origin, $"KV snapshot '{item.KvKey}' is gone");
            return;
        }
        KvSnapshot snapshot;
        try
        {
            snapshot = KvSnapshot.FromBytes(bytes);
        }
        catch (InvalidDataException e)
        {
            throw new PermanentItemException(PipelineStages.Decoder, "corrupt_intermediate", e.Message, e);
        }
        var sampling = SamplingMapper.ToRuntime(item.Sampling, item.JobId, item.ItemIndex, loop.Model.DefaultStopTokenIds);
        var outcome = await loop.DecodeAsync(snapshot, item.FirstToken, sampling, ct);
        var text = loop.Model.Tokenizer?.Decode(outcome.Tokens, skipSpecialTokens: true);
        var finished = time.GetUtcNow();
        var timings = item.Timings.WithDecode((started - item.EnqueuedAt).TotalMilliseconds + outcome.QueueWait.TotalMilliseconds, outcome.Busy.TotalMilliseconds);
        await context.Publish(new ItemCompleted(item.JobId, item.ItemIndex, item.CustomId, outcome.Tokens, text, outcome.FinishReason, item.PromptTokens, timings), ct);
        await tensors.DeleteAsync(item.KvKey, ct);
        await progress.IncrementAsync(item.JobId, PipelineStages.Decoder, ct);
    }
}
