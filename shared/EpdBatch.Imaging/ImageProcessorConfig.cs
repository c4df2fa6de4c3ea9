using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace EpdBatch.Imaging;

/// <summary>
/// A Hugging Face <c>preprocessor_config.json</c> or <c>video_preprocessor_config.json</c> (CLIP, SigLIP,
/// LLaVA-OneVision video). Fields the file leaves out take the processor class's default where the class is
/// known; settings that would make the output size depend on the input are rejected at load, so a misconfigured
/// model fails on start rather than mid-batch.
/// </summary>
public sealed class ImageProcessorConfig
{
    public const string ImageConfigFileName = "preprocessor_config.json";
    public const string VideoConfigFileName = "video_preprocessor_config.json";
    public const string ProcessorConfigFileName = "processor_config.json";

    private static readonly double[] s_openAiClipMean = [0.48145466, 0.4578275, 0.40821073];
    private static readonly double[] s_openAiClipStd = [0.26862954, 0.26130258, 0.27577711];
    private static readonly double[] s_imageNetStandard = [0.5, 0.5, 0.5];

    private string? _fingerprint;

    private ImageProcessorConfig()
    {
    }

    /// <summary><c>image_processor_type</c> (or <c>video_processor_type</c>), e.g. <c>CLIPImageProcessor</c>.</summary>
    public string? ImageProcessorType { get; private init; }

    public bool DoResize { get; private init; }

    /// <summary><c>size.shortest_edge</c>: resize so the short side has this length, keeping the aspect ratio.</summary>
    public int? ShortestEdge { get; private init; }

    /// <summary><c>size.height</c>: resize to exactly <see cref="SizeHeight"/> × <see cref="SizeWidth"/>.</summary>
    public int? SizeHeight { get; private init; }

    public int? SizeWidth { get; private init; }

    /// <summary>PIL resampling filter: 1 Lanczos, 2 bilinear, 3 bicubic, 4 box, 5 Hamming.</summary>
    public int Resample { get; private init; }

    public bool DoCenterCrop { get; private init; }

    public int CropHeight { get; private init; }

    public int CropWidth { get; private init; }

    public bool DoRescale { get; private init; }

    public double RescaleFactor { get; private init; }

    public bool DoNormalize { get; private init; }

    public IReadOnlyList<double> ImageMean { get; private init; } = s_imageNetStandard;

    public IReadOnlyList<double> ImageStd { get; private init; } = s_imageNetStandard;

    public bool DoConvertRgb { get; private init; }

    /// <summary>Height of the tensor every image becomes.</summary>
    public int OutputHeight { get; private init; }

    /// <summary>Width of the tensor every image becomes.</summary>
    public int OutputWidth { get; private init; }

    /// <summary>Source the settings were read from, for error messages.</summary>
    public string Source { get; private init; } = string.Empty;

    /// <summary>
    /// Identifies the preprocessing these settings give (every value that changes the pixels, defaults applied; not
    /// where they were read from): equal media preprocessed under another fingerprint give other tokens.
    /// </summary>
    public string Fingerprint => _fingerprint ??= ComputeFingerprint();

    private string ComputeFingerprint()
    {
        var values = string.Join("|",
            DoResize, ShortestEdge, SizeHeight, SizeWidth, Resample, DoCenterCrop, CropHeight, CropWidth, DoRescale,
            RescaleFactor.ToString("R", CultureInfo.InvariantCulture), DoNormalize,
            string.Join(",", ImageMean.Select(static m => m.ToString("R", CultureInfo.InvariantCulture))),
            string.Join(",", ImageStd.Select(static m => m.ToString("R", CultureInfo.InvariantCulture))),
            DoConvertRgb, OutputHeight, OutputWidth);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(values)))[..16];
    }

    public static ImageProcessorConfig Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Image processor config '{path}' does not exist.", path);
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            return FromJson(document.RootElement, path);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Reads a model folder's config: for <paramref name="video"/>, <c>video_preprocessor_config.json</c> and then
    /// <c>preprocessor_config.json</c>; for images, <c>preprocessor_config.json</c>. As a last resort the matching
    /// section of a combined <c>processor_config.json</c> (<c>video_processor</c>/<c>image_processor</c>).
    /// </summary>
    /// <exception cref="FileNotFoundException">The folder has no such config.</exception>
    public static ImageProcessorConfig FromFolder(string modelDir, bool video = false) =>
        TryFromFolder(modelDir, video) ?? throw new FileNotFoundException(
            $"No {(video ? "video" : "image")} preprocessor config in '{modelDir}': looked for {Candidates(modelDir, video)}.",
            Path.Combine(modelDir, video ? VideoConfigFileName : ImageConfigFileName));

    /// <summary>
    /// As <see cref="FromFolder"/>, but null where the folder has no config for that kind of media (a video-only
    /// checkpoint has no image preprocessor). A config that exists but is invalid still throws.
    /// </summary>
    public static ImageProcessorConfig? TryFromFolder(string modelDir, bool video = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelDir);
        string[] candidates = video ? [VideoConfigFileName, ImageConfigFileName] : [ImageConfigFileName];
        foreach (var name in candidates)
        {
            var path = Path.Combine(modelDir, name);
            if (File.Exists(path))
            {
                return Load(path);
            }
        }

        var combined = Path.Combine(modelDir, ProcessorConfigFileName);
        if (File.Exists(combined))
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(combined));
            string[] sections = video ? ["video_processor", "image_processor"] : ["image_processor"];
            foreach (var section in sections)
            {
                if (document.RootElement.TryGetProperty(section, out var element) && element.ValueKind == JsonValueKind.Object)
                {
                    return FromJson(element, $"{combined}#{section}");
                }
            }
        }

        return null;
    }

    /// <summary>The files <see cref="FromFolder"/> looks for, for messages.</summary>
    public static string Candidates(string modelDir, bool video) =>
        string.Join(", ", (video ? [VideoConfigFileName, ImageConfigFileName] : new[] { ImageConfigFileName })
            .Append($"{ProcessorConfigFileName}#{(video ? "video_processor" : "image_processor")}"));

    private static ImageProcessorConfig FromJson(JsonElement root, string source)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"'{source}' must hold a JSON object.");
        }

        var type = String(root, "image_processor_type") ?? String(root, "video_processor_type");
        var isClip = type?.Contains("CLIP", StringComparison.OrdinalIgnoreCase) == true;
        var isSiglip = type?.Contains("Siglip", StringComparison.OrdinalIgnoreCase) == true;

        var doResize = Bool(root, "do_resize") ?? true;
        int? shortestEdge = null;
        int? height = null;
        int? width = null;
        if (root.TryGetProperty("size", out var size) && size.ValueKind != JsonValueKind.Null)
        {
            if (size.ValueKind == JsonValueKind.Number)
            {
                // transformers reads a bare int as shortest_edge for CLIP (default_to_square=False), a square otherwise.
                if (isClip)
                {
                    shortestEdge = size.GetInt32();
                }
                else
                {
                    height = width = size.GetInt32();
                }
            }
            else if (size.ValueKind == JsonValueKind.Object)
            {
                if (size.TryGetProperty("longest_edge", out _) || size.TryGetProperty("max_height", out _))
                {
                    throw new NotSupportedException($"'{source}': size {size.GetRawText()} is not supported (only shortest_edge or height/width).");
                }

                shortestEdge = Int(size, "shortest_edge");
                height = Int(size, "height");
                width = Int(size, "width");
            }
        }

        if (doResize && shortestEdge is null && (height is null || width is null))
        {
            throw new InvalidDataException($"'{source}': do_resize is set but size has neither shortest_edge nor height and width.");
        }

        var resample = Int(root, "resample") ?? 3;
        if (resample is < 1 or > 5)
        {
            throw new NotSupportedException($"'{source}': resample {resample} is not supported (1 Lanczos, 2 bilinear, 3 bicubic, 4 box, 5 Hamming).");
        }

        var doCenterCrop = Bool(root, "do_center_crop") ?? isClip;
        var cropHeight = 0;
        var cropWidth = 0;
        if (doCenterCrop)
        {
            if (!root.TryGetProperty("crop_size", out var crop) || crop.ValueKind == JsonValueKind.Null)
            {
                throw new InvalidDataException($"'{source}': do_center_crop is set but crop_size is missing.");
            }

            if (crop.ValueKind == JsonValueKind.Number)
            {
                cropHeight = cropWidth = crop.GetInt32();
            }
            else
            {
                cropHeight = Int(crop, "height") ?? throw new InvalidDataException($"'{source}': crop_size has no height.");
                cropWidth = Int(crop, "width") ?? throw new InvalidDataException($"'{source}': crop_size has no width.");
            }
        }

        int outputHeight;
        int outputWidth;
        if (doCenterCrop)
        {
            (outputHeight, outputWidth) = (cropHeight, cropWidth);
        }
        else if (doResize && height is int h && width is int w)
        {
            (outputHeight, outputWidth) = (h, w);
        }
        else
        {
            throw new NotSupportedException(
                $"'{source}': without center crop or a fixed height/width resize, the output size would depend on each image; batching needs a fixed size.");
        }

        if (outputHeight <= 0 || outputWidth <= 0 || shortestEdge is <= 0)
        {
            throw new InvalidDataException($"'{source}': sizes must be positive.");
        }

        var doNormalize = Bool(root, "do_normalize") ?? true;
        var defaultMean = isClip ? s_openAiClipMean : isSiglip ? s_imageNetStandard : null;
        var defaultStd = isClip ? s_openAiClipStd : isSiglip ? s_imageNetStandard : null;
        var mean = Triple(root, "image_mean") ?? defaultMean;
        var std = Triple(root, "image_std") ?? defaultStd;
        if (doNormalize && (mean is null || std is null))
        {
            throw new InvalidDataException($"'{source}': do_normalize is set but image_mean/image_std are missing.");
        }

        if (std is not null && std.Any(static s => s == 0))
        {
            throw new InvalidDataException($"'{source}': image_std must not contain 0.");
        }

        return new ImageProcessorConfig
        {
            ImageProcessorType = type,
            DoResize = doResize,
            ShortestEdge = shortestEdge,
            SizeHeight = height,
            SizeWidth = width,
            Resample = resample,
            DoCenterCrop = doCenterCrop,
            CropHeight = cropHeight,
            CropWidth = cropWidth,
            DoRescale = Bool(root, "do_rescale") ?? true,
            RescaleFactor = Double(root, "rescale_factor") ?? 1.0 / 255.0,
            DoNormalize = doNormalize,
            ImageMean = mean ?? s_imageNetStandard,
            ImageStd = std ?? s_imageNetStandard,
            DoConvertRgb = Bool(root, "do_convert_rgb") ?? true,
            OutputHeight = outputHeight,
            OutputWidth = outputWidth,
            Source = source,
        };
    }

    private static string? String(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static bool? Bool(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    private static int? Int(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;

    private static double? Double(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static double[]? Triple(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var v))
        {
            return null;
        }

        return v.ValueKind switch
        {
            JsonValueKind.Number => [v.GetDouble(), v.GetDouble(), v.GetDouble()],
            JsonValueKind.Array when v.GetArrayLength() == 3 => v.EnumerateArray().Select(static x => x.GetDouble()).ToArray(),
            JsonValueKind.Null => null,
            _ => throw new InvalidDataException($"'{name}' must be a number or a list of 3 numbers, not {v.GetRawText()}."),
        };
    }
}
