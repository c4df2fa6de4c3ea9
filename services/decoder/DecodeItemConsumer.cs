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
/// Where prefill ran in this process and kept the cache on the device (<see cref="DeviceKvHandoff"/>), the item takes
/// it from there instead, and every path that deletes the KV key frees such a cache too. An item that fails for good
/// here has its KV key deleted as well.
/// </summary>
public sealed class DecodeItemConsumer(
    DecodeLoop loop,
    ITensorStore tensors,
    DeviceKvHandoff handoff,
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
        return consumption.RunAsync(context, PipelineStages.Decoder, item.JobId, item.ItemIndex, item.CustomId, () => DecodeOrFreeAsync(context));
    }

    private async Task DecodeOrFreeAsync(ConsumeContext<DecodeItem> context)
    {
        try
        {
            await DecodeAsync(context);
        }
        catch (Exception e) when (StageFailure.Classify(e).Permanent && !context.CancellationToken.IsCancellationRequested)
        {
            // The item ends here: nothing will read its cache, which would otherwise wait out its TTL.
            await DeleteCacheAsync(context.Message.KvKey, context.CancellationToken);
            throw;
        }
    }

    private async Task DecodeAsync(ConsumeContext<DecodeItem> context)
    {
        var item = context.Message;
        var ct = context.CancellationToken;
        if (await consumption.SkipIfCancelledAsync(context, cancellation, PipelineStages.Decoder, item.JobId, item.ItemIndex, item.CustomId))
        {
            await DeleteCacheAsync(item.KvKey, ct);
            return;
        }
        var started = time.GetUtcNow();
        var sampling = SamplingMapper.ToRuntime(item.Sampling, item.JobId, item.ItemIndex, loop.Model.DefaultStopTokenIds);
        // Owned here until the decode loop takes it; disposed on every way out before that.
        var device = TakeDeviceCache(item.KvKey, out var exported);
        KvSnapshot? snapshot = null;
        if (device is null)
        {
            snapshot = exported ?? await ReadSnapshotAsync(context);
            if (snapshot is null)
            {
                return;
            }
        }
        DecodeOutcome outcome;
        using (var jobCancelled = new CancellationTokenSource())
        using (var decoding = CancellationTokenSource.CreateLinkedTokenSource(ct, jobCancelled.Token))
        {
            var watch = WatchForCancelAsync(item, jobCancelled, decoding.Token);
            try
            {
                outcome = await (device is not null
                    ? loop.DecodeAsync(device, sampling, decoding.Token)
                    : loop.DecodeAsync(snapshot!, item.FirstToken, sampling, decoding.Token));
            }
            catch (OperationCanceledException) when (jobCancelled.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                await consumption.ReportCancelledAsync(context, PipelineStages.Decoder, item.JobId, item.ItemIndex, item.CustomId,
                    "The job was cancelled while the decoder ran this item.");
                await DeleteCacheAsync(item.KvKey, ct);
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
        await DeleteCacheAsync(item.KvKey, ct);
        await progress.IncrementAsync(item.JobId, PipelineStages.Decoder, ct);
    }

    /// <summary>
    /// The item's cache where prefill kept it on the device for this process. One another model (or dtype) made is
    /// not continued on the device: it is exported (<paramref name="exported"/>) and goes the host path, which
    /// refuses it as it refuses such a snapshot.
    /// </summary>
    private DeviceKvHandoffEntry? TakeDeviceCache(string kvKey, out KvSnapshot? exported)
    {
        exported = null;
        var entry = handoff.TryTake(kvKey);
        if (entry is null || loop.Model.CanContinue(entry.Result))
        {
            return entry;
        }
        using (entry)
        {
            handoff.CountModelMismatch();
            logger.LogWarning("decoder: the cache under {Key} was made by model {Prefill}, this decoder runs {Decoder}: continued from a snapshot",
                kvKey, entry.Result.Fingerprint, loop.Model.Fingerprint);
            exported = entry.Result.ExportSnapshot();
        }
        return null;
    }

    /// <summary>The item's snapshot from the tensor store; null where it is gone (the item is then sent back to the encoder).</summary>
    private async Task<KvSnapshot?> ReadSnapshotAsync(ConsumeContext<DecodeItem> context)
    {
        var item = context.Message;
        var bytes = await tensors.GetAsync(item.KvKey, context.CancellationToken);
        if (bytes is null)
        {
            // Prefill made it from the multimodal tokens, which it deleted: only the encoder can start the item again.
            // So also where the cache was on the device and an earlier delivery of this message took it.
            await consumption.SendBackAsync(context, PipelineStages.Decoder, item.JobId, item.ItemIndex, item.Origin, $"KV snapshot '{item.KvKey}' is gone");
            return null;
        }
        try
        {
            return KvSnapshot.FromBytes(bytes);
        }
        catch (InvalidDataException e)
        {
            throw new PermanentItemException(PipelineStages.Decoder, "corrupt_intermediate", e.Message, e);
        }
    }

    /// <summary>Deletes the item's cache under <paramref name="kvKey"/>: its snapshot in the store and, where prefill kept it on this process's device, that too.</summary>
    private async Task DeleteCacheAsync(string kvKey, CancellationToken ct)
    {
        handoff.Remove(kvKey);
        await tensors.DeleteAsync(kvKey, ct);
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
