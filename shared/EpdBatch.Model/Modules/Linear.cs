using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EpdBatch.Model.Modules;

/// <summary>
/// y = x Wᵀ + b. Weights start uninitialised (torch.empty): the checkpoint fills them, so no time is spent on a
/// random init that would be overwritten.
/// </summary>
internal sealed class Linear : nn.Module
{
#pragma warning disable IDE1006 // Field names follow the checkpoint's tensor names, so loading is a name map.
    private readonly Parameter weight;
    private readonly Parameter? bias;
#pragma warning restore IDE1006

    public Linear(long inFeatures, long outFeatures, bool hasBias, ScalarType dtype, Device device) : base(nameof(Linear))
    {
        weight = new Parameter(empty([outFeatures, inFeatures], dtype, device), requires_grad: false);
        bias = hasBias ? new Parameter(empty([outFeatures], dtype, device), requires_grad: false) : null;
        RegisterComponents();
    }

    public Tensor Weight => weight;

    public Tensor Forward(Tensor x) => nn.functional.linear(x, weight, bias);
}
