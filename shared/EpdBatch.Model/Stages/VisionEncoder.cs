using EpdBatch.Imaging;
using EpdBatch.Model.Config;
using EpdBatch.Model.Loading;
using EpdBatch.Model.Modules;
using EpdBatch.Model.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace EpdBatch.Model.Stages;

/// <summary>
/// The encode stage: vision tower + projector, batched across images (and across the frames of several videos).
/// An encoder worker loads only these weights, never the language model.
/// </summary>
public sealed class VisionEncoder : IDisposable
{
    private readonly VisionRoot _root;
    private readonly Device _device;
    private readonly ScalarType _dtype;

    private VisionEncoder(LlavaConfig config, VisionRoot root, Checkpoint checkpoint, Device device, ScalarType dtype)
    {
        Config = config;
        _root = root;
        Fingerprint = checkpoint.Fingerprint;
        _device = device;
        _dtype = dtype;
    }

    public LlavaConfig Config { get; }

    public string Fingerprint { get; }

    public string DTypeName => TensorDType.Name(_dtype);

    public int TokensPerImage => Config.TokensPerImage;

    /// <summary>Tokens one video of <paramref name="frames"/> frames becomes.</summary>
    public int TokensPerVideo(int frames) => Config.Architecture switch
    {
        MultimodalArchitecture.LlavaOnevision => frames * PooledGrid * PooledGrid + 1,
        MultimodalArchitecture.LlavaNextVideo => frames * PooledGrid * PooledGrid,
        _ => frames * Config.TokensPerImage,
    };

    private int PooledGrid => Config.Architecture == MultimodalArchitecture.LlavaNextVideo
        ? Config.Vision.GridSize / 2
        : (Config.Vision.GridSize + 1) / 2;

    public static VisionEncoder Load(string modelDirectory, RuntimeOptions? options = null)
    {
        options ??= RuntimeOptions.Cpu;
        TorchRuntime.Initialize();
        var config = LlavaConfig.Load(modelDirectory);
        var checkpoint = Checkpoint.Open(modelDirectory);
        var device = options.TorchDevice;
        var dtype = options.TorchDType;
        var root = new VisionRoot(config, dtype, device);
        WeightLoader.Load(root, checkpoint);
        root.eval();
        return new VisionEncoder(config, root, checkpoint, device, dtype);
    }

    /// <summary>Encodes images in one batch; every image must have the tower's resolution.</summary>
    public IReadOnlyList<MultimodalEmbedding> EncodeImages(IReadOnlyList<PixelValues> images)
    {
        if (images.Count == 0)
        {
            return [];
        }
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        var tokens = Project(images);                                   // [images, tokens, text_hidden]
        var result = new MultimodalEmbedding[images.Count];
        for (var i = 0; i < images.Count; i++)
        {
            result[i] = MultimodalEmbedding.FromTensor(MultimodalKind.Image, tokens[i], Fingerprint);
        }
        return result;
    }

    /// <summary>Encodes videos given as sampled frames; the frames of all videos share one batch.</summary>
    public IReadOnlyList<MultimodalEmbedding> EncodeVideos(IReadOnlyList<IReadOnlyList<PixelValues>> videos)
    {
        if (videos.Count == 0)
        {
            return [];
        }
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        var frames = videos.SelectMany(v => v).ToArray();
        var pooled = Config.Architecture == MultimodalArchitecture.LlavaNextVideo
            ? Project(frames, poolBeforeProjector: true)                // [frames, pooled, text_hidden]
            : PoolAfterProjector(Project(frames));
        var result = new MultimodalEmbedding[videos.Count];
        var start = 0;
        for (var v = 0; v < videos.Count; v++)
        {
            var count = videos[v].Count;
            var tokens = pooled.narrow(0, start, count).reshape(-1, pooled.shape[2]); // [frames·pooled, text_hidden]
            if (_root.ImageNewline is { } newline)
            {
                tokens = cat([tokens, newline.unsqueeze(0)], 0);
            }
            result[v] = MultimodalEmbedding.FromTensor(MultimodalKind.Video, tokens, Fingerprint);
            start += count;
        }
        return result;
    }

    /// <summary>The projector's output per frame, before any pooling: [frames, tokens, text_hidden] as float32 (for checks).</summary>
    public float[] ProjectFramesForCheck(IReadOnlyList<PixelValues> frames)
    {
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        return Project(frames).to(ScalarType.Float32).cpu().data<float>().ToArray();
    }

    private Tensor Project(IReadOnlyList<PixelValues> images, bool poolBeforeProjector = false)
    {
        var pixels = Stack(images);                                     // [batch, channels, height, width]
        var features = _root.Tower.Forward(pixels);                     // [batch, sequence, vision_hidden·layers]
        if (Config.VisionFeatureSelectStrategy == "default" && Config.Vision.Architecture == VisionArchitecture.Clip)
        {
            features = features.narrow(1, 1, features.shape[1] - 1);    // drop CLS
        }
        if (poolBeforeProjector)
        {
            var (b, n, h) = (features.shape[0], features.shape[1], features.shape[2]);
            var grid = (long)Math.Sqrt(n);
            var map = features.view(b, grid, grid, h).permute(0, 3, 1, 2);
            features = nn.functional.avg_pool2d(map, 2, 2).flatten(2).transpose(1, 2);
        }
        return _root.Projector.Forward(features);
    }

    /// <summary>OneVision: bilinear resize of each frame's patch grid to ceil(grid/2) (align_corners=False).</summary>
    private Tensor PoolAfterProjector(Tensor projected)
    {
        var (frames, n, h) = (projected.shape[0], projected.shape[1], projected.shape[2]);
        var grid = (long)Math.Sqrt(n);
        var map = projected.view(frames, grid, grid, h).permute(0, 3, 1, 2).contiguous(); // [frames, hidden, grid, grid]
        var scaled = nn.functional.interpolate(map, size: [PooledGrid, PooledGrid], mode: InterpolationMode.Bilinear, align_corners: false);
        return scaled.permute(0, 2, 3, 1).reshape(frames, -1, h);      // [frames, pooled², hidden]
    }

    private Tensor Stack(IReadOnlyList<PixelValues> images)
    {
        var size = Config.Vision.ImageSize;
        var channels = Config.Vision.NumChannels;
        var plane = channels * size * size;
        var host = new float[images.Count * plane];
        for (var i = 0; i < images.Count; i++)
        {
            var image = images[i];
            if (image.Height != size || image.Width != size || image.Channels != channels || image.Data.Length != plane)
            {
                throw new ArgumentException($"image {i} is {image.Channels}×{image.Height}×{image.Width}; the vision tower takes {channels}×{size}×{size}");
            }
            image.Data.CopyTo(host, i * plane);
        }
        return tensor(host, [images.Count, channels, size, size]).to(_dtype, _device);
    }

    public void Dispose() => _root.Dispose();
}
