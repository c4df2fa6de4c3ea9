using EpdBatch.Model.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace EpdBatch.Model.Modules;

/// <summary>Bidirectional multi-head self-attention of CLIP and SigLIP.</summary>
internal sealed class VisionAttention : nn.Module
{
#pragma warning disable IDE1006 // Field names follow the checkpoint's tensor names.
    private readonly Linear q_proj;
    private readonly Linear k_proj;
    private readonly Linear v_proj;
    private readonly Linear out_proj;
#pragma warning restore IDE1006
    private readonly long _heads;
    private readonly long _headDim;

    public VisionAttention(VisionConfig config, ScalarType dtype, Device device) : base(nameof(VisionAttention))
    {
        long h = config.HiddenSize;
        q_proj = new Linear(h, h, true, dtype, device);
        k_proj = new Linear(h, h, true, dtype, device);
        v_proj = new Linear(h, h, true, dtype, device);
        out_proj = new Linear(h, h, true, dtype, device);
        _heads = config.NumAttentionHeads;
        _headDim = config.HeadDim;
        RegisterComponents();
    }

    /// <param name="x">[batch, sequence, hidden]</param>
    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var (b, s) = (x.shape[0], x.shape[1]);
        var q = q_proj.Forward(x).view(b, s, _heads, _headDim).transpose(1, 2);   // [batch, heads, sequence, head_dim]
        var k = k_proj.Forward(x).view(b, s, _heads, _headDim).transpose(1, 2);
        var v = v_proj.Forward(x).view(b, s, _heads, _headDim).transpose(1, 2);
        var attended = nn.functional.scaled_dot_product_attention(q, k, v);       // [batch, heads, sequence, head_dim]
        var merged = attended.transpose(1, 2).reshape(b, s, _heads * _headDim);   // [batch, sequence, hidden]
        return out_proj.Forward(merged).MoveToOuterDisposeScope();
    }
}
