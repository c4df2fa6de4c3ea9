using System.Text.Json;
using System.Text.Json.Serialization;

namespace EpdBatch.Planning.Profiles;

/// <summary>
/// Each stage's cost on one kind of device for one model, as the planner's simulator reads it. Made by
/// <see cref="Profiler"/> on the current device, or by <see cref="AnalyticProfile"/> from a model's and a GPU's
/// published sizes; saved and loaded as JSON so that a profile taken on another machine (e.g. an H100) plans here.
/// </summary>
public sealed record StageProfile
{
    public const int CurrentSchemaVersion = 1;

    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    /// <summary>"measured" (by <see cref="Profiler"/>) or "analytic" (a roofline estimate, not a measurement).</summary>
    public required string Source { get; init; }

    /// <summary>What ran it, e.g. "cpu (2 threads)" or "cuda:0 NVIDIA H100 80GB HBM3".</summary>
    public required string Device { get; init; }

    /// <summary>The model folder's name or a description.</summary>
    public required string Model { get; init; }

    public string DType { get; init; } = "float32";

    public DateTimeOffset CreatedAt { get; init; }

    public string? Notes { get; init; }

    /// <summary>The vision tower's input resolution (pixels per side).</summary>
    public required int ImageSize { get; init; }

    public ImageTiling Tiling { get; init; } = ImageTiling.Resize;

    /// <summary>Multimodal tokens per tower input (image or tile).</summary>
    public required int TokensPerImage { get; init; }

    /// <summary>Multimodal tokens per sampled video frame (after the model's pooling).</summary>
    public double TokensPerVideoFrame { get; init; }

    /// <summary>The language model's context window: prompt + output must fit.</summary>
    public int ContextLength { get; init; }

    /// <summary>Bytes of KV cache per token (all layers, keys and values).</summary>
    public required long KvBytesPerToken { get; init; }

    /// <summary>Bytes of one multimodal token as the encoder hands it to prefill.</summary>
    public required long MultimodalBytesPerToken { get; init; }

    /// <summary>Seconds of one encoder forward by images (tower inputs) in the batch.</summary>
    public required CostSeries Encoder { get; init; }

    /// <summary>Seconds of one prefill forward by batch size × prompt tokens (every sequence padded to the longest).</summary>
    public required CostGrid Prefill { get; init; }

    /// <summary>Seconds of one decode step by active sequences × context (the longest sequence's positions).</summary>
    public required CostGrid DecodeStep { get; init; }

    /// <summary>Seconds to move a payload from one stage to the next (write + read through the tensor store) by bytes.</summary>
    public required CostSeries Transfer { get; init; }

    /// <summary>What the transfer was measured through, e.g. "in-process" or "redis".</summary>
    public string TransferProbe { get; init; } = "in-process";

    public MemoryProfile Memory { get; init; } = MemoryProfile.Unknown;

    /// <summary>
    /// Set where every replica shares one device (a CPU machine): the simulator then slows forwards that run at the
    /// same time. Null for a device per replica (GPUs).
    /// </summary>
    public DeviceSharing? SharedDevice { get; init; }

    /// <summary>
    /// The services' own CPU per item beside the forwards, where it was measured on the running pipeline; the
    /// simulator uses it on a <see cref="SharedDevice"/> only. Null: not measured (the forwards alone).
    /// </summary>
    public ServiceCost? ServiceCost { get; init; }

    /// <summary>Throws a one-line <see cref="InvalidDataException"/> if the profile cannot drive a simulation.</summary>
    public void Validate()
    {
        if (SchemaVersion != CurrentSchemaVersion)
        {
            throw new InvalidDataException($"profile: schemaVersion {SchemaVersion} is not supported (this build reads {CurrentSchemaVersion})");
        }
        if (ImageSize <= 0 || TokensPerImage <= 0)
        {
            throw new InvalidDataException("profile: imageSize and tokensPerImage must be positive");
        }
        if (KvBytesPerToken < 0 || MultimodalBytesPerToken < 0 || TokensPerVideoFrame < 0 || ContextLength < 0)
        {
            throw new InvalidDataException("profile: kvBytesPerToken, multimodalBytesPerToken, tokensPerVideoFrame and contextLength must not be negative");
        }
        (Encoder ?? throw new InvalidDataException("profile: encoder is missing")).Validate("encoder");
        (Prefill ?? throw new InvalidDataException("profile: prefill is missing")).Validate("prefill");
        (DecodeStep ?? throw new InvalidDataException("profile: decodeStep is missing")).Validate("decodeStep");
        (Transfer ?? throw new InvalidDataException("profile: transfer is missing")).Validate("transfer");
        SharedDevice?.Validate();
        ServiceCost?.Validate();
    }

    public string ToJson() => JsonSerializer.Serialize(this, s_json);

    public static StageProfile FromJson(string json)
    {
        StageProfile? profile;
        try
        {
            profile = JsonSerializer.Deserialize<StageProfile>(json, s_json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"profile: not a stage profile ({e.Message})", e);
        }
        if (profile is null)
        {
            throw new InvalidDataException("profile: the JSON is null");
        }
        profile.Validate();
        return profile;
    }

    public static StageProfile Load(string path) =>
        File.Exists(path) ? FromJson(File.ReadAllText(path)) : throw new FileNotFoundException($"{path}: no such profile");

    public void Save(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
        File.WriteAllText(path, ToJson() + Environment.NewLine);
    }

    /// <summary>Tower inputs one image of <paramref name="size"/> pixels (longest side; 0 = the tower's) becomes.</summary>
    public int TilesPerImage(int size)
    {
        if (Tiling == ImageTiling.Resize || size <= ImageSize)
        {
            return 1;
        }
        var perSide = (size + ImageSize - 1) / ImageSize;
        return perSide * perSide + 1;
    }
}
