namespace EpdBatch.Planning.Profiles;

/// <summary>
/// Roofline estimates of stage costs from an <see cref="AnalyticProfileSpec"/>, written on the same grids a
/// measured profile has, so that the simulator treats both alike. Use them to plan for hardware that is not at
/// hand and to study the EPD paper's settings; a measured profile of the real model on the real GPU replaces them.
/// </summary>
public static class AnalyticProfile
{
    /// <summary>
    /// An InternVL2-26B-shaped model (InternViT-6B at 448 px, 1025 tokens per tile, pixel-shuffled to 256; a
    /// 20B, 48-layer language model with 8 KV heads) on an H100 SXM (989 TFLOP/s dense BF16, 3.35 TB/s, 80 GB): the
    /// kind of large-encoder model the EPD paper evaluates, where encoding costs as much as prefill.
    /// </summary>
    public static AnalyticProfileSpec InternVl2LikeOnH100 { get; } = new()
    {
        Name = "internvl2-26b-like",
        Device = "H100 SXM 80GB (analytic)",
        PeakFlops = 989e12,
        MemoryBandwidth = 3.35e12,
        DeviceBytes = 80L * 1000 * 1000 * 1000,
        VisionParameters = 5.9e9,
        VisionLayers = 45,
        VisionHidden = 3200,
        VisionSequenceLength = 1025,
        TokensPerTile = 256,
        TileSize = 448,
        LanguageParameters = 19.9e9,
        Layers = 48,
        Hidden = 6144,
        KvHeads = 8,
        HeadDim = 128,
        ContextLength = 32768,
    };

    /// <summary>
    /// A LLaVA-OneVision-7B-shaped model (SigLIP-400M at 384 px, 729 tokens per tile; a 7.6B, 28-layer Qwen2 with 4
    /// KV heads) on an H100 SXM: a small encoder, where prefill and decode dominate.
    /// </summary>
    public static AnalyticProfileSpec OnevisionLikeOnH100 { get; } = new()
    {
        Name = "llava-onevision-7b-like",
        Device = "H100 SXM 80GB (analytic)",
        PeakFlops = 989e12,
        MemoryBandwidth = 3.35e12,
        DeviceBytes = 80L * 1000 * 1000 * 1000,
        VisionParameters = 0.4e9,
        VisionLayers = 26,
        VisionHidden = 1152,
        VisionSequenceLength = 729,
        TokensPerTile = 729,
        TileSize = 384,
        LanguageParameters = 7.6e9,
        Layers = 28,
        Hidden = 3584,
        KvHeads = 4,
        HeadDim = 128,
        ContextLength = 32768,
    };

    /// <summary>The built-in specs by name, for <c>epd plan profile --analytic NAME</c>.</summary>
    public static IReadOnlyDictionary<string, AnalyticProfileSpec> BuiltIn { get; } = new Dictionary<string, AnalyticProfileSpec>(StringComparer.OrdinalIgnoreCase)
    {
        [InternVl2LikeOnH100.Name + "-h100"] = InternVl2LikeOnH100,
        [OnevisionLikeOnH100.Name + "-h100"] = OnevisionLikeOnH100,
    };

    public static StageProfile Create(AnalyticProfileSpec spec, TimeProvider? time = null)
    {
        var bytes = spec.BytesPerParameter;
        var visionWeights = spec.VisionParameters * bytes;
        var languageWeights = spec.LanguageParameters * bytes;
        long kvPerToken = 2L * spec.Layers * spec.KvHeads * spec.HeadDim * bytes;

        double Roofline(double flops, double traffic) =>
            spec.ForwardOverheadSeconds + Math.Max(flops / (spec.PeakFlops * spec.ComputeEfficiency), traffic / (spec.MemoryBandwidth * spec.BandwidthEfficiency));

        // Encoder: dense layers (2·params FLOPs per token) plus attention (4·n²·hidden per layer) per tile.
        var n = (double)spec.VisionSequenceLength;
        var encoderFlopsPerTile = 2 * spec.VisionParameters * n + 4 * n * n * spec.VisionHidden * spec.VisionLayers;
        var encoderSizes = PowersOfTwo(1, 512);
        var encoderSeconds = encoderSizes.Select(b => Roofline(b * encoderFlopsPerTile, visionWeights + b * n * spec.VisionHidden * bytes * 2)).ToArray();

        // Prefill: dense layers plus causal attention (2·L²·hidden per layer), weights read once, KV written.
        var prefillBatches = PowersOfTwo(1, 32);
        var prefillLengths = PowersOfTwo(128, spec.ContextLength);
        var prefill = prefillBatches.Select(b => (IReadOnlyList<double>)prefillLengths.Select(l =>
            Roofline(b * (2 * spec.LanguageParameters * l + 2 * l * l * spec.Hidden * spec.Layers), languageWeights + b * l * kvPerToken)).ToArray()).ToArray();

        // Decode step: one token per sequence; weights read once per step, each sequence's KV cache read once.
        var decodeBatches = PowersOfTwo(1, 512);
        var decodeContexts = PowersOfTwo(128, spec.ContextLength);
        var decode = decodeBatches.Select(b => (IReadOnlyList<double>)decodeContexts.Select(c =>
            Roofline(b * (2 * spec.LanguageParameters + 4 * c * spec.Hidden * spec.Layers), languageWeights + b * c * kvPerToken)).ToArray()).ToArray();

        // A line (latency + bytes / bandwidth): a few points span it.
        double[] transferSizes = [1e3, 1e6, 1e9, 1e11];
        var transferSeconds = transferSizes.Select(s => spec.TransferLatencySeconds + s / spec.TransferBytesPerSecond).ToArray();

        return new StageProfile
        {
            Source = "analytic",
            Device = spec.Device,
            Model = spec.Name,
            DType = bytes == 2 ? "bfloat16" : "float32",
            CreatedAt = (time ?? TimeProvider.System).GetUtcNow(),
            Notes = $"roofline estimate: {spec.ComputeEfficiency * 100:F0}% of {spec.PeakFlops / 1e12:F0} TFLOP/s, {spec.BandwidthEfficiency * 100:F0}% of {spec.MemoryBandwidth / 1e12:F2} TB/s, "
                + $"{spec.ForwardOverheadSeconds * 1000:F1} ms per forward, transfers at {spec.TransferBytesPerSecond / 1e9:F0} GB/s; not a measurement",
            ImageSize = spec.TileSize,
            Tiling = spec.Tiling,
            TokensPerImage = spec.TokensPerTile,
            TokensPerVideoFrame = spec.TokensPerTile / 4.0,
            ContextLength = spec.ContextLength,
            KvBytesPerToken = kvPerToken,
            MultimodalBytesPerToken = (long)spec.Hidden * bytes,
            Encoder = new CostSeries(encoderSizes, encoderSeconds),
            Prefill = new CostGrid(prefillBatches, prefillLengths, prefill),
            DecodeStep = new CostGrid(decodeBatches, decodeContexts, decode),
            Transfer = new CostSeries(transferSizes, transferSeconds),
            TransferProbe = "analytic",
            Memory = new MemoryProfile(
                DeviceBytes: spec.DeviceBytes,
                VisionWeightBytes: (long)visionWeights,
                LanguageWeightBytes: (long)languageWeights,
                // A few live [sequence, hidden] tensors and the MLP's 4× widening per tile, in the runtime dtype.
                EncoderActivationBytesPerImage: (long)(n * spec.VisionHidden * bytes * 8),
                // Residual, attention and MLP (≈3.5× widening, gate and up) working tensors per prompt token.
                PrefillActivationBytesPerToken: (long)spec.Hidden * bytes * 12),
        };
    }

    private static double[] PowersOfTwo(long from, long to)
    {
        var values = new List<double>();
        for (var v = from; v <= to; v *= 2)
        {
            values.Add(v);
        }
        return [.. values];
    }
}
