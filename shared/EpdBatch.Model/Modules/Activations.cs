using TorchSharp;
using static TorchSharp.torch;

namespace EpdBatch.Model.Modules;

internal static class Activations
{
    private static readonly Scalar s_quickGeluScale = 1.702.ToScalar();

    public static Func<Tensor, Tensor> Get(string name) => name switch
    {
        "quick_gelu" => static x => x * sigmoid(x.mul(s_quickGeluScale)),
        "gelu" => static x => nn.functional.gelu(x),
        "gelu_pytorch_tanh" or "gelu_new" or "gelu_fast" => static x => nn.functional.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh),
        "silu" => static x => nn.functional.silu(x),
        _ => throw new ModelFormatException($"activation '{name}' is not supported"),
    };
}
