using TorchSharp;
using TorchSharp.Modules;
using static EpdBatch.Model.Runtime.Scalars;
using static TorchSharp.torch;

namespace EpdBatch.Model.Modules;

/// <summary>Llama/Qwen2 RMSNorm: normalise in float32, cast back, then scale (the order Hugging Face uses).</summary>
internal sealed class RmsNorm : nn.Module
{
#pragma warning disable IDE1006 // Field names follow the checkpoint's tensor names.
    private readonly Parameter weight;
#pragma warning restore IDE1006
    private readonly double _eps;

    public RmsNorm(long size, double eps, ScalarType dtype, Device device) : base(nameof(RmsNorm))
    {
        weight = new Parameter(empty([size], dtype, device), requires_grad: false);
        _eps = eps;
        RegisterComponents();
    }

    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var x32 = x.to(ScalarType.Float32);
        using var eps = _eps.ToScalar();
        var variance = x32.pow(Two).mean([-1L], keepdim: true);
        var normed = (x32 * rsqrt(variance.add(eps, One))).to(x.dtype);
        return (weight * normed).MoveToOuterDisposeScope();
    }
}
