using EpdBatch.Model.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace EpdBatch.Model.Modules;

/// <summary>
/// Grouped-query causal self-attention with rotary embeddings. KV heads are never repeated: the query heads that
/// share a KV head are folded into the query-length dimension ([batch, kv_heads, rep·q_len, head_dim]), so one
/// SDPA call reads each cached key once.
/// </summary>
internal sealed class TextAttention : nn.Module
{
#pragma warning disable IDE1006 // Field names follow the checkpoint's tensor names.
    private readonly Linear q_proj;
    private readonly Linear k_proj;
    private readonly Linear v_proj;
    private readonly Linear o_proj;
#pragma warning restore IDE1006
    private readonly long _heads;
    private readonly long _kvHeads;
    private readonly long _headDim;

    public TextAttention(TextConfig config, ScalarType dtype, Device device) : base(nameof(TextAttention))
    {
        _heads = config.NumAttentionHeads;
        _kvHeads = config.NumKeyValueHeads;
        _headDim = config.HeadDim;
        q_proj = new Linear(config.HiddenSize, _heads * _headDim, config.AttentionBias, dtype, device);
        k_proj = new Linear(config.HiddenSize, _kvHeads * _headDim, config.AttentionBias, dtype, device);
        v_proj = new Linear(config.HiddenSize, _kvHeads * _headDim, config.AttentionBias, dtype, device);
        o_proj = new Linear(_heads * _headDim, config.HiddenSize, false, dtype, device);
        RegisterComponents();
    }

    public long Repeats => _heads / _kvHeads;

    /// <summary>Attention over a whole (right-padded) prompt.</summary>
    /// <param name="x">[batch, seq, hidden]</param>
    /// <param name="cos">[seq, head_dim]</param>
    /// <param name="sin">[seq, head_dim]</param>
    /// <param name="mask">[1, 1, rep·seq, seq], true = attend</param>
    /// <param name="keys">[batch, kv_heads, seq, head_dim], rotated; the caller owns it.</param>
    /// <param name="values">[batch, kv_heads, seq, head_dim]; the caller owns it.</param>
    public Tensor Prefill(Tensor x, Tensor cos, Tensor sin, Tensor mask, out Tensor keys, out Tensor values)
    {
        using var scope = NewDisposeScope();
        var (b, t) = (x.shape[0], x.shape[1]);
        var q = q_proj.Forward(x).view(b, t, _heads, _headDim).transpose(1, 2);   // [batch, heads, seq, head_dim]
        var k = k_proj.Forward(x).view(b, t, _kvHeads, _headDim).transpose(1, 2); // [batch, kv_heads, seq, head_dim]
        var v = v_proj.Forward(x).view(b, t, _kvHeads, _headDim).transpose(1, 2);
        q = RotaryEmbedding.Apply(q, cos, sin);
        k = RotaryEmbedding.Apply(k, cos, sin).contiguous();
        v = v.contiguous();
        var grouped = q.reshape(b, _kvHeads, Repeats * t, _headDim);            // [batch, kv_heads, rep·seq, head_dim]
        var attended = nn.functional.scaled_dot_product_attention(grouped, k, v, mask);
        var merged = attended.reshape(b, _heads, t, _headDim).transpose(1, 2).reshape(b, t, _heads * _headDim);
        keys = k.MoveToOuterDisposeScope();
        values = v.MoveToOuterDisposeScope();
        return o_proj.Forward(merged).MoveToOuterDisposeScope();
    }

    /// <summary>One decode step for rows 0..batch-1 of a preallocated cache.</summary>
    /// <param name="x">[batch, 1, hidden]</param>
    /// <param name="cos">[batch, 1, 1, head_dim] at each row's position</param>
    /// <param name="sin">[batch, 1, 1, head_dim]</param>
    /// <param name="mask">[batch, 1, 1, key_len], true = attend</param>
    /// <param name="keyCache">[slots, kv_heads, capacity, head_dim], updated in place</param>
    /// <param name="valueCache">[slots, kv_heads, capacity, head_dim], updated in place</param>
    /// <param name="rows">[batch] int64: 0..batch-1</param>
    /// <param name="positions">[batch] int64: where each row's new key goes</param>
    public Tensor Decode(Tensor x, Tensor cos, Tensor sin, Tensor mask, Tensor keyCache, Tensor valueCache, Tensor rows, Tensor positions, long keyLength)
    {
        using var scope = NewDisposeScope();
        var b = x.shape[0];
        var q = q_proj.Forward(x).view(b, 1, _heads, _headDim).transpose(1, 2);   // [batch, heads, 1, head_dim]
        var k = k_proj.Forward(x).view(b, 1, _kvHeads, _headDim).transpose(1, 2); // [batch, kv_heads, 1, head_dim]
        var v = v_proj.Forward(x).view(b, 1, _kvHeads, _headDim).transpose(1, 2);
        q = RotaryEmbedding.Apply(q, cos, sin);
        k = RotaryEmbedding.Apply(k, cos, sin);
        // Advanced indices on dims 0 and 2 select [batch, kv_heads, head_dim] slices.
        keyCache.index_put_(k.squeeze(2), [TensorIndex.Tensor(rows), TensorIndex.Colon, TensorIndex.Tensor(positions), TensorIndex.Colon]);
        valueCache.index_put_(v.squeeze(2), [TensorIndex.Tensor(rows), TensorIndex.Colon, TensorIndex.Tensor(positions), TensorIndex.Colon]);
        var keysNow = keyCache.narrow(0, 0, b).narrow(2, 0, keyLength);         // [batch, kv_heads, key_len, head_dim]
        var valuesNow = valueCache.narrow(0, 0, b).narrow(2, 0, keyLength);
        var grouped = q.reshape(b, _kvHeads, Repeats, _headDim);                // [batch, kv_heads, rep, head_dim]
        var attended = nn.functional.scaled_dot_product_attention(grouped, keysNow, valuesNow, mask);
        var merged = attended.reshape(b, 1, _heads * _headDim);
        return o_proj.Forward(merged).MoveToOuterDisposeScope();
    }
}
