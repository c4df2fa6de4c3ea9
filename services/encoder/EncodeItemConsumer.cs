using EpdBatch.Contracts;
using EpdBatch.Model.Stages;
using EpdBatch.Pipeline;
using EpdBatch.Pipeline.Options;
using EpdBatch.Pipeline.Progress;
using EpdBatch.Pipeline.Storage;
using EpdBatch.Stages;
using MassTransit;
using Microsoft.Extensions.Options;

namespace EpdBatch.Encoder;

/// <summary>
/// Downloads an item's media, encodes it (or reuses the tokens of equal media), writes the multimodal tokens to the
/// tensor store (under the item's attempt, <see cref="EncodeItem.Recoveries"/>) and hands the item to prefill with
/// its encode command, from which a later stage can run it again. The message is acknowledged only after the tokens
/// are stored and the prefill message is published. An item of a cancelled job is reported as cancelled, not encoded.
/// </summary>
public sealed class EncodeItemConsumer(
    EncoderStage stage,
    IMediaFrameSource frames,
    IBlobStore blobs,
    ITensorStore tensors,
    IStageProgress progress,
    IJobCancellation cancellation,
    IOptions<EncoderOptions> options,
    ItemConsumption consumption,
    TimeProvider time) : IConsumer<EncodeItem>
{
    public Task Consume(ConsumeContext<EncodeItem> context)
    {
        var item = context.Message;
        return consumption.RunAsync(context, PipelineStages.Encoder, item.JobId, item.ItemIndex, item.CustomId, () => EncodeAsync(context));
    }

    private async Task EncodeAsync(ConsumeContext<EncodeItem> context)
    {
        var item = context.Message;
        var ct = context.CancellationToken;
        if (await consumption.SkipIfCancelledAsync(context, cancellation, PipelineStages.Encoder, item.JobId, item.ItemIndex, item.CustomId))
        {
            return;
        }
        var started = time.GetUtcNow();
        var ttl = options.Value.TokenTtl;
        var encoded = new List<EncodedMedia>(item.Media.Count);
        for (var i = 0; i < item.Media.Count; i++)
        {
            var media = item.Media[i];
            var preprocessor = stage.PreprocessorFor(media.Kind, media.Uri);
            var bytes = await blobs.ReadAsync(media.Uri, ct);
            var preprocessing = media.Kind == MediaKind.Image ? $"image;preprocess={preprocessor.Config.Fingerprint}" : frames.Describe(media.Frames, preprocessor);
            var cacheTtl = options.Value.MediaCacheTtl;
            var cacheKey = cacheTtl > TimeSpan.Zero ? stage.MediaCacheKey(bytes, media.Kind, preprocessing) : null;
            var tokens = cacheKey is null ? null : await tensors.GetAsync(cacheKey, ct);
            if (tokens is null)
            {
                var work = media.Kind == MediaKind.Image
                    ? new EncodeWork(MultimodalKind.Image, [preprocessor.Preprocess(bytes)])
                    : new EncodeWork(MultimodalKind.Video, await frames.SampleAsync(bytes, media.Uri, media.Frames, preprocessor, ct));
                tokens = (await stage.EncodeAsync(work, ct)).ToBytes();
                if (cacheKey is not null)
                {
                    await tensors.SetAsync(cacheKey, tokens, cacheTtl, ct);
                }
            }
            var key = StoreKeys.Multimodal(item.JobId, item.ItemIndex, i, item.Recoveries);
            await tensors.SetAsync(key, tokens, ttl, ct);
            encoded.Add(new EncodedMedia(media.Kind, key, MultimodalEmbedding.PeekTokenCount(tokens)));
        }
        var finished = time.GetUtcNow();
        var timings = StageTimings.None.WithEncode((started - item.EnqueuedAt).TotalMilliseconds, (finished - started).TotalMilliseconds);
        await context.Publish(new PrefillItem(item.JobId, item.ItemIndex, item.CustomId, item.Prompt, encoded, item.Sampling, finished, timings, item), ct);
        await progress.IncrementAsync(item.JobId, PipelineStages.Encoder, ct);
    }
}
