namespace EpdBatch.Bench;

/// <summary>One checkpoint tensor to generate: its name in the file and its shape.</summary>
internal sealed record TensorSpec(string Name, long[] Shape)
{
    public long Elements => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Norm scales start near 1, everything else (weights, biases, embeddings) near 0.</summary>
    public bool IsNormScale => Name.Contains("norm", StringComparison.Ordinal) && Name.EndsWith(".weight", StringComparison.Ordinal);
}
