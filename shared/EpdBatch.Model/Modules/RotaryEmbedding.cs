using TorchSharp;
using static EpdBatch.Model.Runtime.Scalars;
using static TorchSharp.torch;

namespace EpdBatch.Model.Modules;

/// <summary>
/// Rotary position tables computed once per model (float32, as Hugging Face computes them, then cast to the model's
/// dtype), so no layer recomputes them per step.
/// </summary>
internal sealed class RotaryEmbedding : IDisposable
{
    public RotaryEmbedding(int headDim, int maxPositions, double theta, ScalarType dtype, Device device)
    {
        using var scope = NewDisposeScope();
        using var dim = headDim.ToScalar();
        using var positionCount = maxPositions.ToScalar();
        var exponents = arange(Zero, dim, Two, ScalarType.Int64).to(ScalarType.Float32).div(dim);
        var invFreq = pow(tensor(theta, ScalarType.Float32), exponents).reciprocal();  // [head_dim / 2]
        var positions = arange(Zero, positionCount, One, ScalarType.Int64).to(ScalarType.Float32);
        var freqs = outer(positions, invFreq);                                           // [positions, head_dim / 2]
        var emb = cat([freqs, freqs], -1);                                               // [positions, head_dim]
        Cos = emb.cos().to(dtype, device).DetachFromDisposeScope();
        Sin = emb.sin().to(dtype, device).DetachFromDisposeScope();
        MaxPositions = maxPositions;
    }

    /// <summary>[positions, head_dim]</summary>
    public Tensor Cos { get; }

    /// <summary>[positions, head_dim]</summary>
    public Tensor Sin { get; }

    public int MaxPositions { get; }

    /// <summary>x·cos + rotate_half(x)·sin, with cos/sin broadcast over batch and heads.</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        var half = x.shape[^1] / 2;
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        var rotated = cat([-x2, x1], -1);
        return (x * cos).add(rotated * sin, One).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        Cos.Dispose();
        Sin.Dispose();
    }
}
