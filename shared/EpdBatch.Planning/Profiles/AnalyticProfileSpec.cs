namespace EpdBatch.Planning.Profiles;

/// <summary>
/// A model's and a GPU's published sizes, from which <see cref="AnalyticProfile"/> estimates each stage's cost with
/// a roofline (the slower of compute at <see cref="ComputeEfficiency"/> of peak and memory traffic at
/// <see cref="BandwidthEfficiency"/> of peak, plus a fixed overhead per forward). An estimate for planning on
/// hardware that is not at hand, never a measurement.
/// </summary>
public sealed record AnalyticProfileSpec
{
    public required string Name { get; init; }

    public required string Device { get; init; }

    /// <summary>Dense FLOP/s of the GPU in the runtime dtype.</summary>
    public required double PeakFlops { get; init; }

    /// <summary>Device memory bandwidth, bytes/s.</summary>
    public required double MemoryBandwidth { get; init; }

    /// <summary>Device memory, bytes.</summary>
    public required long DeviceBytes { get; init; }

    public double ComputeEfficiency { get; init; } = 0.5;

    public double BandwidthEfficiency { get; init; } = 0.7;

    /// <summary>Kernel launches and host work per forward pass.</summary>
    public double ForwardOverheadSeconds { get; init; } = 0.004;

    /// <summary>Tensor-store throughput between stages (write + read), bytes/s.</summary>
    public double TransferBytesPerSecond { get; init; } = 10e9;

    public double TransferLatencySeconds { get; init; } = 0.0005;

    public int BytesPerParameter { get; init; } = 2;

    public required double VisionParameters { get; init; }

    public required int VisionLayers { get; init; }

    public required int VisionHidden { get; init; }

    /// <summary>Tokens the vision transformer runs over per tile (patches + class token).</summary>
    public required int VisionSequenceLength { get; init; }

    /// <summary>Multimodal tokens per tile handed to the language model (after pooling / pixel shuffle).</summary>
    public required int TokensPerTile { get; init; }

    public required int TileSize { get; init; }

    public ImageTiling Tiling { get; init; } = ImageTiling.Tiles;

    public required double LanguageParameters { get; init; }

    public required int Layers { get; init; }

    public required int Hidden { get; init; }

    public required int KvHeads { get; init; }

    public required int HeadDim { get; init; }

    public required int ContextLength { get; init; }
}
