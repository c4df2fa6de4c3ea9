using EpdBatch.Contracts;
using EpdBatch.Model;
using EpdBatch.Model.Stages;
using EpdBatch.Pipeline;
using EpdBatch.Pipeline.Messaging;
using EpdBatch.Pipeline.Options;
using EpdBatch.Pipeline.Progress;
using EpdBatch.Pipeline.Storage;
using EpdBatch.Stages;
using MassTransit;
using Microsoft.Extensions.Options;

namespace EpdBatch.Prefill;

/// <summary>
/// Builds the item's prompt, reads its multimodal tokens, prefills (batched with other items), stores the KV
/// snapshot (or, for the decoder of this process, keeps the cache on the device: <see cref="DeviceKvHandoff"/>) and
/// hands the item to decode. The token entries are deleted once the decode message is out. An item of a cancelled job is reported as cancelled, not prefilled, and its token entries are deleted.
/// Where they are gone, the item goes back to the encoder (<see cref="ItemConsumption.SendBackAsync"/>).
/// </summary>
public sealed class PrefillItemConsumer(
    PrefillStage stage,
    ITensorStore tensors,
    DeviceKvHandoff handoff,
    IStageProgress progress,
    IJobCancellation cancellation,
    IOptions<PrefillOptions> options,
    ItemConsumption consumption,
    TimeProvider time) : IConsumer<PrefillItem>
{
    public Task Consume(ConsumeContext<PrefillItem> context)
    {
        var item = context.Message;
        return consumption.RunAsync(context, PipelineStages.Prefill, item.JobId, item.ItemIndex, item.CustomId, () => PrefillAsync(context));
    }

    private async Task PrefillAsync(ConsumeContext<PrefillItem> context)
    {
        var item = context.Message;
        var ct = context.CancellationToken;
        if (await consumption.SkipIfCancelledAsync(context, cancellation, PipelineStages.Prefill, item.JobId, item.ItemIndex, item.CustomId))
        {
            // Nothing will read the item's tokens now: free them rather than wait for their TTL.
            foreach (var m in item.Media)
            {
                await tensors.DeleteAsync(m.StoreKey, ct);
            }
            return;
        }
        var started = time.GetUtcNow();
        var prompts = stage.Prompts
            ?? throw new PermanentItemException(PipelineStages.Prefill, "no_tokenizer", "the model folder has no tokenizer.json, so text prompts cannot be encoded");

        var media = new List<MultimodalEmbedding>(item.Media.Count);
        foreach (var m in item.Media)
        {
            var bytes = await tensors.GetAsync(m.StoreKey, ct);
            if (bytes is null)
            {
                // Expired, evicted or lost with a Redis restart: the encoder makes them again.
                await consumption.SendBackAsync(context, PipelineStages.Prefill, item.JobId, item.ItemIndex, item.Origin, $"multimodal tokens '{m.StoreKey}' are gone");
                await DeleteTokensAsync(item, ct);
                return;
            }
            media.Add(MultimodalEmbedding.FromBytes(bytes));
        }
        var ids = prompts.Encode(item.Prompt, item.Media.Count(m => m.Kind == MediaKind.Image), item.Media.Count(m => m.Kind == MediaKind.Video));
        var sampling = SamplingMapper.ToRuntime(item.Sampling, item.JobId, item.ItemIndex, stage.Model.DefaultStopTokenIds);
        var request = new PrefillRequest(ids, media, sampling);
        // Checked here, alone: a request that fails in the model thread fails the whole batch it joined.
        var maxPromptTokens = options.Value.MaxPromptTokens;
        try
        {
            stage.Model.CheckRequest(request, maxPromptTokens > 0 ? maxPromptTokens : null);
        }
        catch (Exception e) when (e is ModelInputException or ArgumentException)
        {
            // The item ends here: its tokens would otherwise wait out their TTL in the store.
            foreach (var m in item.Media)
            {
                await tensors.DeleteAsync(m.StoreKey, ct);
            }

            throw;
        }
        var outcome = await stage.PrefillAsync(request, ct);

        var finished = time.GetUtcNow();
        var timings = item.Timings.WithPrefill((started - item.EnqueuedAt).TotalMilliseconds, (finished - started).TotalMilliseconds);
        if (outcome.FinishReason is { } reason)
        {
            var text = stage.Model.Tokenizer?.Decode([outcome.FirstToken], skipSpecialTokens: true);
            await context.Publish(new ItemCompleted(item.JobId, item.ItemIndex, item.CustomId, [outcome.FirstToken], text, reason, outcome.PromptTokens, timings), ct);
        }
        else
        {
            var kvKey = StoreKeys.Kv(item.JobId, item.ItemIndex, item.Origin?.Recoveries ?? 0);
            if (outcome.Device is { } device)
            {
                // The decoder of this process takes the cache under the same key, on the device.
                handoff.Put(kvKey, device, options.Value.KvTtl);
            }
            else
            {
                await tensors.SetAsync(kvKey, outcome.Snapshot!, options.Value.KvTtl, ct);
            }
            try
            {
                var decode = await context.GetSendEndpoint(PipelineQueues.DecodeAddress);
                await decode.Send(new DecodeItem(item.JobId, item.ItemIndex, item.CustomId, kvKey, outcome.PromptTokens, outcome.FirstToken, item.Sampling, finished, timings, item.Origin), ct);
            }
            catch when (outcome.Device is not null)
            {
                // Not left to its TTL on the device: a retry prefills again, and a decode message that did go out
                // finds no cache and sends the item back to the encoder.
                handoff.Remove(kvKey);
                throw;
            }
        }
        await DeleteTokensAsync(item, ct);
        await progress.IncrementAsync(item.JobId, PipelineStages.Prefill, ct);
    }

    private async Task DeleteTokensAsync(PrefillItem item, CancellationToken ct)
    {
        foreach (var m in item.Media)
        {
            await tensors.DeleteAsync(m.StoreKey, ct);
        }
    }
}
