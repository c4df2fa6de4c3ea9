namespace EpdBatch.Planning.Search;

/// <summary>The grid the planner searches and how hard it looks.</summary>
public sealed record SearchOptions
{
    /// <summary>Encoder batch sizes (items per forward) to try.</summary>
    public IReadOnlyList<int> EncoderBatchSizes { get; init; } = [1, 2, 4, 8, 16, 32];

    /// <summary>Prefill batch sizes (items per forward) to try.</summary>
    public IReadOnlyList<int> PrefillBatchSizes { get; init; } = [1, 2, 4, 8];

    /// <summary>Decoder slots (sequences per step at most) to try.</summary>
    public IReadOnlyList<int> DecoderBatchSizes { get; init; } = [8, 16, 32, 64, 128, 256];

    /// <summary>The stages' batch wait (their <c>MaxBatchWaitMs</c>), not searched.</summary>
    public double MaxBatchWaitSeconds { get; init; } = 0.020;

    /// <summary>The colocated layouts to search as baselines (none: disaggregated layouts only).</summary>
    public ColocatedFamilies Colocated { get; init; } = ColocatedFamilies.All;

    /// <summary>
    /// Also try, for each layout and encoder/prefill batch, the largest decoder batch whose KV cache fits the GPU
    /// beside everything else it holds (where the profile knows the device's memory): a decoder that holds only the
    /// language model fits more sequences than a GPU that also holds the vision tower.
    /// </summary>
    public bool TryLargestDecoderBatchThatFits { get; init; } = true;

    /// <summary>Configurations to return.</summary>
    public int Top { get; init; } = 5;

    /// <summary>Simulate an evenly spaced sample of at most this many items of a larger workload.</summary>
    public int SampleItems { get; init; } = 1000;

    /// <summary>Simulate every configuration instead of skipping those whose throughput bound cannot reach the top.</summary>
    public bool Exhaustive { get; init; }

    /// <summary>
    /// How far a simulated throughput may exceed the analytic bound (a mean-item estimate) before a skipped
    /// configuration could have been in the top: the search skips only bounds this fraction below the top.
    /// </summary>
    public double BoundSlack { get; init; } = 0.10;

    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    public void Validate()
    {
        static void Grid(IReadOnlyList<int> values, string name)
        {
            if (values.Count == 0 || values.Any(v => v < 1))
            {
                throw new ArgumentException($"{name} batch sizes must be positive, at least one");
            }
        }
        Grid(EncoderBatchSizes, "encoder");
        Grid(PrefillBatchSizes, "prefill");
        Grid(DecoderBatchSizes, "decoder");
        if (!(MaxBatchWaitSeconds >= 0) || Top < 1 || SampleItems < 1 || !(BoundSlack >= 0) || MaxDegreeOfParallelism < 1)
        {
            throw new ArgumentException("search: batch wait and bound slack must not be negative; top, sample and parallelism must be at least 1");
        }
    }
}
