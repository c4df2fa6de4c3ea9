using EpdBatch.Contracts;
using EpdBatch.Model.Stages;
using EpdBatch.Pipeline;
using EpdBatch.Pipeline.Options;
using EpdBatch.Pipeline.Progress;
using EpdBatch.Pipeline.Storage;
using EpdBatch.Stages;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EpdBatch.Decoder;

/// <summary>
/// Loads an item's KV snapshot into the running decode batch, waits for its sequence to finish, publishes the
/// result and deletes the snapshot. The message stays unacknowledged (so a crash redelivers it) until the result
/// is out. An item of a cancelled job is reported as cancelled instead of joining the batch, and its snapshot deleted;
/// a job cancelled while its item decodes is noticed within about <see cref="DecoderOptions.CancelCheckInterval"/>
/// (plus the cancellation cache's age), and the item leaves the batch at the next step, reported as cancelled in the
/// same way.
/// Where the snapshot is gone, the item goes back to the encoder (<see cref="ItemConsumption.SendBackAsync"/>).
/// </summary>
public sealed class DecodeItemConsumer(
    DecodeLoop loop,
    ITensorStore tensors,
    IStageProgress progress,
    IJobCancellation cancellation,
    ItemConsumption consumption,
    TimeProvider time,
    IOptions<DecoderOptions> options,
    ILogger<DecodeItemConsumer> logger) : IConsumer<DecodeItem>
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
        DecodeOutcome outcome;
        using (var jobCancelled = new CancellationTokenSource())
        using (var decoding = CancellationTokenSource.CreateLinkedTokenSource(ct, jobCancelled.Token))
        {
            var watch = WatchForCancelAsync(item, jobCancelled, decoding.Token);
            try
            {
                outcome = await loop.DecodeAsync(snapshot, item.FirstToken, sampling, decoding.Token);
            }
            catch (OperationCanceledException) when (jobCancelled.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                await consumption.ReportCancelledAsync(context, PipelineStages.Decoder, item.JobId, item.ItemIndex, item.CustomId,
                    "The job was cancelled while the decoder ran this item.");
                await tensors.DeleteAsync(item.KvKey, ct);
                return;
            }
            finally
            {
                await decoding.CancelAsync();
                await watch;
            }
        }
        var text = loop.Model.Tokenizer?.Decode(outcome.Tokens, skipSpecialTokens: true);
        var finished = time.GetUtcNow();
        var timings = item.Timings.WithDecode((started - item.EnqueuedAt).TotalMilliseconds + outcome.QueueWait.TotalMilliseconds, outcome.Busy.TotalMilliseconds);
        await context.Publish(new ItemCompleted(item.JobId, item.ItemIndex, item.CustomId, outcome.Tokens, text, outcome.FinishReason, item.PromptTokens, timings), ct);
        await tensors.DeleteAsync(item.KvKey, ct);
        await progress.IncrementAsync(item.JobId, PipelineStages.Decoder, ct);
    }

    /// <summary>
    /// Asks every <see cref="DecoderOptions.CancelCheckInterval"/> whether the item's job was cancelled, until
    /// <paramref name="stop"/>; cancels <paramref name="jobCancelled"/> when it was. A store that does not answer for
    /// a moment only delays the check; one that fails otherwise ends the watch, and the item decodes to its end.
    /// </summary>
    private async Task WatchForCancelAsync(DecodeItem item, CancellationTokenSource jobCancelled, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await Task.Delay(options.Value.CancelCheckInterval, time, stop);
                try
                {
                    if (await cancellation.IsCancelledAsync(item.JobId, stop))
                    {
                        await jobCancelled.CancelAsync();
                        return;
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    if (!TransientFailures.IsTransient(e))
                    {
                        logger.LogWarning("decoder: item {Job}/{Item}: cannot ask whether its job was cancelled, it decodes to its end: {Message}",
                            item.JobId, item.ItemIndex, SecretRedactor.Redact(e.Message));
                        return;
                    }
                    logger.LogDebug("decoder: item {Job}/{Item}: could not ask whether its job was cancelled: {Message}",
                        item.JobId, item.ItemIndex, SecretRedactor.Redact(e.Message));
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }
}
