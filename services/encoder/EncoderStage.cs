using EpdBatch.Imaging;
using EpdBatch.Model.Runtime;
using EpdBatch.Model.Stages;
using EpdBatch.Pipeline.Batching;
using EpdBatch.Pipeline.Options;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EpdBatch.Encoder;

/// <summary>
/// The encoder worker's model: vision tower + projector only. Media from many concurrent messages are batched on
/// one model thread (images with images, frames of several videos together); decoding and preprocessing run on
/// the consumers' threads, so they overlap the forward passes.
/// </summary>
public sealed class EncoderStage : IAsyncDisposable
{
    private readonly VisionEncoder _encoder;
    private readonly ModelWorkQueue<EncodeWork, MultimodalEmbedding> _queue;

    public EncoderStage(IOptions<EncoderOptions> options, ILogger<EncoderStage> logger)
    {
        var settings = options.Value;
        var modelPath = settings.ModelPath!;
        _encoder = VisionEncoder.Load(modelPath, new RuntimeOptions { Device = settings.Device });
        ImagePreprocessor = new ImagePreprocessor(ImageProcessorConfig.FromFolder(modelPath));
        VideoPreprocessor = new ImagePreprocessor(ImageProcessorConfig.FromFolder(modelPath, video: true));
        // The cache key covers the weights and the preprocessing, so equal bytes under another model never collide.
        CacheSalt = $"{_encoder.Fingerprint}-{_encoder.DTypeName}";
        _queue = new ModelWorkQueue<EncodeWork, MultimodalEmbedding>("encoder-model", settings.MaxBatchSize,
            TimeSpan.FromMilliseconds(settings.MaxBatchWaitMs), Encode, static w => w.Frames.Count);
        logger.LogInformation("encoder: model {Model} ({Fingerprint}) on {Device}, batches of up to {Batch} images",
            modelPath, _encoder.Fingerprint, settings.Device, settings.MaxBatchSize);
    }

    public ImagePreprocessor ImagePreprocessor { get; }

    public ImagePreprocessor VideoPreprocessor { get; }

    public string CacheSalt { get; }

    public TimeSpan BusyTime => _queue.BusyTime;

    public Task<MultimodalEmbedding> EncodeAsync(EncodeWork work, CancellationToken ct) => _queue.RunAsync(work, ct);

    private IReadOnlyList<MultimodalEmbedding> Encode(IReadOnlyList<EncodeWork> batch)
    {
        var results = new MultimodalEmbedding[batch.Count];
        var images = Enumerable.Range(0, batch.Count).Where(i => batch[i].Kind == MultimodalKind.Image).ToArray();
        var videos = Enumerable.Range(0, batch.Count).Where(i => batch[i].Kind == MultimodalKind.Video).ToArray();
        if (images.Length > 0)
        {
            var encoded = _encoder.EncodeImages(images.Select(i => batch[i].Frames[0]).ToArray());
            for (var k = 0; k < images.Length; k++)
            {
                results[images[k]] = encoded[k];
            }
        }
        if (videos.Length > 0)
        {
            var encoded = _encoder.EncodeVideos(videos.Select(i => batch[i].Frames).ToArray());
            for (var k = 0; k < videos.Length; k++)
            {
                results[videos[k]] = encoded[k];
            }
        }
        return results;
    }

    public async ValueTask DisposeAsync()
    {
        await _queue.DisposeAsync();
        _encoder.Dispose();
    }
}
