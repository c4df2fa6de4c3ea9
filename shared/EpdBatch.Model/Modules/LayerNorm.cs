using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EpdBatch.Model.Modules;

internal sealed class LayerNorm : nn.Module
{
#pragma warning disable IDE1006 // Field names follow the checkpoint's tensor names.
    private readonly Parameter weight;
    private readonly Parameter bias;
#pragma warning restore IDE1006
    private readonly double _eps;

    public LayerNorm(long size, double eps, ScalarType dtype, Device device) : base(nameof(LayerNorm))
    {
        weight = new Parameter(empty([size], dtype, device), requires_grad: false);
        bias = new Parameter(empty([size], dtype, device), requires_grad: false);
        _eps = eps;
        RegisterComponents();
    }

    public Tensor Forward(Tensor x) => nn.functional.layer_norm(x, [weight.shape[0]], weight, bias, _eps);
}
