using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EpdBatch.Model.Modules;

internal sealed class Embedding : nn.Module
{
#pragma warning disable IDE1006 // Field names follow the checkpoint's tensor names.
    private readonly Parameter weight;
#pragma warning restore IDE1006

    public Embedding(long count, long dim, ScalarType dtype, Device device) : base(nameof(Embedding))
    {
        weight = new Parameter(empty([count, dim], dtype, device), requires_grad: false);
        RegisterComponents();
    }

    public Tensor Weight => weight;

    public Tensor Forward(Tensor ids) => weight.index_select(0, ids.flatten()).view([.. ids.shape, weight.shape[1]]);
}
