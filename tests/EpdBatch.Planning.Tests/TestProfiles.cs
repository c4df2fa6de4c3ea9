using EpdBatch.Planning.Profiles;

namespace EpdBatch.Planning.Tests;

/// <summary>Hand-made profiles whose costs are known exactly, for simulator cases with known answers.</summary>
internal static class TestProfiles
{
    /// <summary>
    /// Every encoder forward takes <paramref name="encodeSeconds"/> and every prefill forward
    /// <paramref name="prefillSeconds"/> whatever the batch, every decode step <paramref name="stepSeconds"/>;
    /// transfers are free.
    /// </summary>
    public static StageProfile Constant(double encodeSeconds, double prefillSeconds, double stepSeconds, double transferSeconds = 0) => new()
    {
        Source = "test",
        Device = "test",
        Model = "constant",
        ImageSize = 336,
        TokensPerImage = 16,
        TokensPerVideoFrame = 16,
        ContextLength = 0,
        KvBytesPerToken = 1000,
        MultimodalBytesPerToken = 100,
        Encoder = Flat(encodeSeconds),
        Prefill = FlatGrid(prefillSeconds),
        DecodeStep = FlatGrid(stepSeconds),
        Transfer = Flat(transferSeconds),
    };

    /// <summary>Encoder and prefill forwards cost in proportion to their batch (no batching gain).</summary>
    public static StageProfile PerItem(double encodeSecondsPerImage, double prefillSecondsPerItem, double stepSeconds) =>
        Constant(0, 0, stepSeconds) with
        {
            Encoder = new CostSeries([1, 1024], [encodeSecondsPerImage, 1024 * encodeSecondsPerImage]),
            Prefill = new CostGrid([1, 1024], [1, 1_000_000], [[prefillSecondsPerItem, prefillSecondsPerItem], [1024 * prefillSecondsPerItem, 1024 * prefillSecondsPerItem]]),
        };

    private static CostSeries Flat(double seconds) => new([1, 1e12], [seconds, seconds]);

    private static CostGrid FlatGrid(double seconds) => new([1, 1_000_000], [1, 1_000_000], [[seconds, seconds], [seconds, seconds]]);
}
