namespace EpdBatch.Model.Sampling;

/// <summary>How one sequence picks its tokens. Temperature 0 is greedy; the seed makes sampling reproducible per item.</summary>
public sealed record SamplingParams
{
    public static SamplingParams Greedy(int maxNewTokens) => new() { MaxNewTokens = maxNewTokens };

    public int MaxNewTokens { get; init; } = 64;
    public float Temperature { get; init; }
    public int TopK { get; init; }
    public float TopP { get; init; } = 1f;
    public ulong Seed { get; init; }

    /// <summary>Token ids that end the sequence (the stop token itself is kept in the output).</summary>
    public IReadOnlyCollection<int> StopTokenIds { get; init; } = [];

    public bool IsGreedy => Temperature <= 0f;

    /// <summary>Throws a one-line <see cref="ArgumentException"/> for values no sampler accepts.</summary>
    public void Validate()
    {
        if (MaxNewTokens < 1)
        {
            throw new ArgumentException($"max_tokens must be at least 1 (got {MaxNewTokens})");
        }
        if (float.IsNaN(Temperature) || Temperature < 0 || Temperature > 100)
        {
            throw new ArgumentException($"temperature must be between 0 and 100 (got {Temperature})");
        }
        if (float.IsNaN(TopP) || TopP <= 0 || TopP > 1)
        {
            throw new ArgumentException($"top_p must be in (0, 1] (got {TopP})");
        }
        if (TopK < 0)
        {
            throw new ArgumentException($"top_k must be 0 (off) or positive (got {TopK})");
        }
    }
}
