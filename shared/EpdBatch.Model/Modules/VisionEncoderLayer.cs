using EpdBatch.Model.Config;
using TorchSharp;
using static EpdBatch.Model.Runtime.Scalars;
using static TorchSharp.torch;

namespace EpdBatch.Model.Modules;

/// <summary>Pre-norm transformer block: x + attn(ln1(x)), then + mlp(ln2(x)).</summary>
internal sealed class VisionEncoderLayer : nn.Module
{
#pragma warning disable IDE1006 // Field names follow the checkpoint's tensor names.
    private readonly VisionAttention self_attn;
    private readonly LayerNorm layer_norm1;
    private readonly VisionMlp mlp;
    private readonly LayerNorm layer_norm2;
#pragma warning restore IDE1006

    public VisionEncoderLayer(VisionConfig config, ScalarType dtype, Device device) : base(nameof(VisionEncoderLayer))
    {
        self_attn = new VisionAttention(config, dtype, device);
        layer_norm1 = new LayerNorm(config.HiddenSize, config.LayerNormEps, dtype, device);
        mlp = new VisionMlp(config, dtype, device);
        layer_norm2 = new LayerNorm(config.HiddenSize, config.LayerNormEps, dtype, device);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = x.add(self_attn.Forward(layer_norm1.Forward(x)), One);
        return h.add(mlp.Forward(layer_norm2.Forward(h)), One).MoveToOuterDisposeScope();
    }
}
