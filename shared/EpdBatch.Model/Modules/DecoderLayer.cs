using EpdBatch.Model.Config;
using TorchSharp;
using static EpdBatch.Model.Runtime.Scalars;
using static TorchSharp.torch;

namespace EpdBatch.Model.Modules;

internal sealed class DecoderLayer : nn.Module
{
#pragma warning disable IDE1006 // Field names follow the checkpoint's tensor names.
    private readonly TextAttention self_attn;
    private readonly TextMlp mlp;
    private readonly RmsNorm input_layernorm;
    private readonly RmsNorm post_attention_layernorm;
#pragma warning restore IDE1006

    public DecoderLayer(TextConfig config, ScalarType dtype, Device device) : base(nameof(DecoderLayer))
    {
        self_attn = new TextAttention(config, dtype, device);
        mlp = new TextMlp(config, dtype, device);
        input_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device);
        post_attention_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device);
        RegisterComponents();
    }

    public TextAttention Attention => self_attn;

    public Tensor Prefill(Tensor x, Tensor cos, Tensor sin, Tensor mask, out Tensor keys, out Tensor values)
    {
        using var scope = NewDisposeScope();
        var h = x.add(self_attn.Prefill(input_layernorm.Forward(x), cos, sin, mask, out keys, out values), One);
        keys.MoveToOuterDisposeScope();
        values.MoveToOuterDisposeScope();
        return h.add(mlp.Forward(post_attention_layernorm.Forward(h)), One).MoveToOuterDisposeScope();
    }

    public Tensor Decode(Tensor x, Tensor cos, Tensor sin, Tensor mask, Tensor keyCache, Tensor valueCache, Tensor rows, Tensor positions, long keyLength)
    {
        using var scope = NewDisposeScope();
        var h = x.add(self_attn.Decode(input_layernorm.Forward(x), cos, sin, mask, keyCache, valueCache, rows, positions, keyLength), One);
        return h.add(mlp.Forward(post_attention_layernorm.Forward(h)), One).MoveToOuterDisposeScope();
    }
}
