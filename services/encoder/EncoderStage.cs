using System.Security.Cryptography;
using System.Text;
using EpdBatch.Contracts;
using EpdBatch.Imaging;
using EpdBatch.Model.Runtime;
using EpdBatch.Model.Stages;
using EpdBatch.Pipeline;
using EpdBatch.Pipeline.Batching;
using EpdBatch.Pipeline.Options;
using EpdBatch.Pipeline.Storage;
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
    /// <summary>The <c>error.code</c> of an item whose media kind this model folder cannot take (no preprocessor config for it, or no video token).</summary>
    public const string UnsupportedMediaKind = "unsupported_media_kind";

    private readonly VisionEncoder _encoder;
    private readonly ModelWorkQueue<EncodeWork, MultimodalEmbedding> _queue;
    private readonly ImagePreprocessor? _image;
    private readonly ImagePreprocessor? _video;
    private readonly string _imageMissing;
    private readonly string _videoMissing;

    public EncoderStage(IOptions<EncoderOptions> options, ILogger<EncoderStage> logger)
    {
        var settings = options.Value;
        var modelPath = settings.ModelPath!;
        _encoder = VisionEncoder.Load(modelPath, new RuntimeOptions { Device = settings.Device });

        // Each kind of media needs its own preprocessing: a video-only checkpoint (video_preprocessor_config.json
        // alone) takes no images, and a model without a video token cannot place a video in its prompt. Such items
        // fail one by one (UnsupportedMediaKind) before their media are even read; a folder that takes neither fails here.
        var imageConfig = ImageProcessorConfig.TryFromFolder(modelPath);
        var videoConfig = _encoder.Config.VideoTokenId is null ? null : ImageProcessorConfig.TryFromFolder(modelPath, video: true);
        var limits = new ImageLimits(settings.MaxImagePixels, settings.MaxImageBytes);
        _image = imageConfig is null ? null : new ImagePreprocessor(imageConfig, limits);
        _video = videoConfig is null ? null : new ImagePreprocessor(videoConfig, limits);
        _imageMissing = $"the model folder has no image preprocessor config ({ImageProcessorConfig.Candidates(modelPath, video: false)}), so this encoder takes videos only";
        _videoMissing = _encoder.Config.VideoTokenId is null
            ? "the model takes no video (its config.json has no video_token_index)"
            : $"the model folder has no video preprocessor config ({ImageProcessorConfig.Candidates(modelPath, video: true)})";
        if (_image is null && _video is null)
        {
            throw new FileNotFoundException($"{modelPath}: the encoder can take neither images ({_imageMissing}) nor videos ({_videoMissing}).");
        }

        // The cache key covers the weights and dtype here, and each item's preprocessing (MediaCacheKey), so equal bytes
        // under another model, another preprocessing or another frame count never share tokens.
        CacheSalt = $"{_encoder.Fingerprint}-{_encoder.DTypeName}";
        _queue = new ModelWorkQueue<EncodeWork, MultimodalEmbedding>("encoder-model", settings.MaxBatchSize,
            TimeSpan.FromMilliseconds(settings.MaxBatchWaitMs), Encode, static w => w.Frames.Count);
        logger.LogInformation("encoder: model {Model} ({Fingerprint}) on {Device}, batches of up to {Batch} images; takes {Kinds}",
            modelPath, _encoder.Fingerprint, settings.Device, settings.MaxBatchSize,
            _image is null ? "videos only" : _video is null ? "images only" : "images and videos");
    }

    public string CacheSalt { get; }

    public TimeSpan BusyTime => _queue.BusyTime;

    /// <summary>The preprocessor for this kind of media.</summary>
    /// <exception cref="PermanentItemException">The model folder cannot take this kind (<see cref="UnsupportedMediaKind"/>).</exception>
    public ImagePreprocessor PreprocessorFor(MediaKind kind, string uri) => kind switch
    {
        MediaKind.Image => _image ?? throw new PermanentItemException(PipelineStages.Encoder, UnsupportedMediaKind, $"{uri}: an image, but {_imageMissing}"),
        _ => _video ?? throw new PermanentItemException(PipelineStages.Encoder, UnsupportedMediaKind, $"{uri}: a video, but {_videoMissing}"),
    };

    /// <summary>
    /// Key of the cached tokens of these media bytes: their content hash, their kind, the weights and dtype
    /// (<see cref="CacheSalt"/>), and <paramref name="preprocessing"/>, what else decides the pixels (for a video, the
    /// frame count and sampling: <see cref="IMediaFrameSource.Describe"/>).
    /// </summary>
    public string MediaCacheKey(ReadOnlySpan<byte> media, MediaKind kind, string preprocessing)
    {
        var settings = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{CacheSalt}|{preprocessing}")))[..16];
        return StoreKeys.MediaCache($"{Convert.ToHexStringLower(SHA256.HashData(media))}-{kind.ToString().ToLowerInvariant()}-{settings}");
    }

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
