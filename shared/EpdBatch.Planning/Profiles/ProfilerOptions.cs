using EpdBatch.Model.Runtime;

namespace EpdBatch.Planning.Profiles;

/// <summary>What <see cref="Profiler"/> measures: the grids of batch sizes and lengths, and how often.</summary>
public sealed record ProfilerOptions
{
    public RuntimeOptions Runtime { get; init; } = RuntimeOptions.Cpu;

    /// <summary>Images per encoder forward.</summary>
    public IReadOnlyList<int> EncoderBatches { get; init; } = [1, 2, 4, 8, 16];

    /// <summary>Sequences per prefill forward.</summary>
    public IReadOnlyList<int> PrefillBatches { get; init; } = [1, 2, 4, 8];

    /// <summary>Prompt tokens per sequence (lengths beyond the model's context are skipped).</summary>
    public IReadOnlyList<int> PromptLengths { get; init; } = [32, 64, 128, 256];

    /// <summary>Active sequences per decode step.</summary>
    public IReadOnlyList<int> DecodeBatches { get; init; } = [1, 2, 4, 8, 16, 32];

    /// <summary>Positions of the longest sequence in a decode step.</summary>
    public IReadOnlyList<int> DecodeContexts { get; init; } = [64, 128, 256];

    /// <summary>Payload sizes for the transfer probe.</summary>
    public IReadOnlyList<long> TransferSizes { get; init; } = [4 << 10, 64 << 10, 1 << 20, 16 << 20];

    /// <summary>Timed runs per point; the profile keeps the fastest.</summary>
    public int Repeats { get; init; } = 5;

    /// <summary>Untimed runs before each point (allocator and kernel warm-up).</summary>
    public int Warmup { get; init; } = 1;

    /// <summary>Usable device memory, for the planner's memory check; 0 leaves it off.</summary>
    public long DeviceMemoryBytes { get; init; }

    public int Seed { get; init; } = 1;

    /// <summary>Throws a one-line <see cref="ArgumentException"/> for a grid the profiler cannot measure.</summary>
    public void Validate()
    {
        static void Positive(IReadOnlyList<int> values, string name)
        {
            if (values.Count == 0 || values.Any(v => v < 1) || values.Zip(values.Skip(1)).Any(p => p.Second <= p.First))
            {
                throw new ArgumentException($"{name} must be positive and increasing, at least one value");
            }
        }
        Positive(EncoderBatches, "encoder batches");
        Positive(PrefillBatches, "prefill batches");
        Positive(PromptLengths, "prompt lengths");
        Positive(DecodeBatches, "decode batches");
        Positive(DecodeContexts, "decode contexts");
        if (TransferSizes.Count == 0 || TransferSizes.Any(v => v < 1) || TransferSizes.Zip(TransferSizes.Skip(1)).Any(p => p.Second <= p.First))
        {
            throw new ArgumentException("transfer sizes must be positive and increasing, at least one value");
        }
        if (Repeats < 1 || Warmup < 0)
        {
            throw new ArgumentException("repeats must be at least 1 and warmup not negative");
        }
        if (DeviceMemoryBytes < 0)
        {
            throw new ArgumentException("device memory must not be negative");
        }
    }
}
