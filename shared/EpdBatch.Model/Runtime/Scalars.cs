using TorchSharp;

namespace EpdBatch.Model.Runtime;

/// <summary>Scalars that live as long as the process, for the TorchSharp calls that take a <see cref="Scalar"/>.</summary>
/// <remarks>
/// The rule for all tensor code: never let TorchSharp make a Scalar. In TorchSharp 0.107 a .NET number where a Scalar
/// is expected (<c>t * 0.5</c>, <c>t + 1e-5</c>, <c>t / n</c>, <c>pow(2)</c>, <c>masked_fill(m, 0f)</c>, <c>fill_(x)</c>,
/// <c>clamp_max(n)</c>, <c>arange(n)</c>) becomes a temporary Scalar that only its finalizer frees, and only its handle
/// reaches libtorch: a collection on another thread can free it while libtorch still reads it, which throws a c10::Error
/// ("toFloat", c10/core/Scalar.h) or silently uses another value. <c>a + b</c> is <c>Tensor.add(Tensor)</c>, which makes
/// such a temporary itself for alpha = 1. Pass one of these instead (static fields are roots, never finalised), or a
/// value's own Scalar held across the call by <c>using var s = value.ToScalar();</c>: <c>a.add(b, One)</c>,
/// <c>t.pow(Two)</c>, <c>arange(Zero, n, One, ...)</c>. Between two tensors, <c>-</c>, <c>*</c>, <c>/</c> and the
/// comparisons take no Scalar and are fine. docs/model-runtime.md has the list.
/// </remarks>
internal static class Scalars
{
    public static readonly Scalar Zero = 0.ToScalar();
    public static readonly Scalar One = 1.ToScalar();
    public static readonly Scalar Two = 2.ToScalar();
    public static readonly Scalar NegativeInfinity = float.NegativeInfinity.ToScalar();
}
