using EpdBatch.Contracts;
using EpdBatch.Imaging;
using EpdBatch.Model.Stages;
using EpdBatch.Pipeline;
using EpdBatch.Pipeline.Messaging;
using EpdBatch.Pipeline.Options;
using EpdBatch.Pipeline.Progress;
using EpdBatch.Pipeline.Storage;
using EpdBatch.Stages;
using EpdBatch.Video;
using MassTransit;
using Microsoft.Extensions.Options;

namespace EpdBatch.Encoder;

/// <summary>
/// Downloads an item's media, encodes it (or reuses the tokens of equal media), writes the multimodal tokens to the
/// tensor store (under the item's attempt, <see cref="EncodeItem.Recoveries"/>) and hands the item to prefill with
/// its encode command, from which a later stage can run it again. The message is acknowledged only after the tokens
/// are stored and the prefill message is sent (to the prefill queue, <see cref="PipelineQueues.Prefill"/>). An item of a cancelled job is reported as cancelled, not encoded.
/// Each URI is checked against the <see cref="MediaAccessPolicy"/> before the download (the ingest checked it
/// too; this is the second line), and a blob over the size limit of its kind is refused from its stored length,
/// before its bytes are read.
/// </summary>
public sealed class EncodeItemConsumer(
    EncoderStage stage,
    IMediaFrameSource frames,
    IBlobStore blobs,
    MediaAccessPolicy access,
    ITensorStore tensors,
    IStageProgress progress,
    IJobCancellation cancellation,
    IOptions<EncoderOptions> options,
    IOptions<VideoOptions> video,
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
            var bytes = await ReadAsync(media, ct);
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
        var prefill = await context.GetSendEndpoint(PipelineQueues.PrefillAddress);
        await prefill.Send(new PrefillItem(item.JobId, item.ItemIndex, item.CustomId, item.Prompt, encoded, item.Sampling, finished, timings, item), ct);
        await progress.IncrementAsync(item.JobId, PipelineStages.Encoder, ct);
    }

    private async Task<byte[]> ReadAsync(MediaReference media, CancellationToken ct)
    {
        var uri = access.CheckMedia(media.Uri);
        var image = media.Kind == MediaKind.Image;
        try
        {
            return await blobs.ReadAsync(uri, image ? options.Value.MaxImageBytes : video.Value.MaxBytes, ct);
        }
        catch (BlobTooLargeException e)
        {
            // The codes a too-large file of each kind gets wherever it is caught, so errors.jsonl reads the same.
            throw image
                ? new MediaException(MediaException.ImageTooLarge, $"The file is {e.Length} bytes; the limit is {e.MaxBytes}.")
                : new PermanentItemException(PipelineStages.Encoder, VideoErrorCodes.TooLarge, $"The video file is {e.Length} bytes; the limit is {e.MaxBytes}.");
        }
    }
}
