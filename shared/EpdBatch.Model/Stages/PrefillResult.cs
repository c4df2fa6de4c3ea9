using static TorchSharp.torch;

namespace EpdBatch.Model.Stages;

/// <summary>A prefilled sequence: its first sampled token, last-position logits and its KV cache (on the device).</summary>
public sealed class PrefillResult : IDisposable
{
    private readonly Tensor[] _keys;
    private readonly Tensor[] _values;
    private readonly string _fingerprint;

    internal PrefillResult(Tensor[] keys, Tensor[] values, string fingerprint, int promptLength, int firstToken, float[] lastLogits, long[]? argmaxAll)
    {
        _keys = keys;
        _values = values;
        _fingerprint = fingerprint;
        PromptLength = promptLength;
        FirstToken = firstToken;
        LastLogits = lastLogits;
        ArgmaxAll = argmaxAll;
        DType = keys[0].dtype;
        KvBytes = keys.Concat(values).Sum(static t => t.numel() * TensorDType.Size(t.dtype));
    }

    /// <summary>Prompt length after placeholder expansion: the positions the KV cache holds.</summary>
    public int PromptLength { get; }

    public int FirstToken { get; }

    /// <summary>float32 logits at the last prompt position.</summary>
    public float[] LastLogits { get; }

    public long[]? ArgmaxAll { get; }

    /// <summary>The model that made this cache: a decoder continues it only with the same model (<see cref="LanguageModel.CanContinue"/>).</summary>
    public string Fingerprint => _fingerprint;

    /// <summary>Bytes the KV cache takes on its device (keys and values of every layer).</summary>
    public long KvBytes { get; }

    internal ScalarType DType { get; }

    /// <summary>[kv_heads, length, head_dim] per layer.</summary>
    internal IReadOnlyList<Tensor> Keys => _keys;

    internal IReadOnlyList<Tensor> Values => _values;

    public KvSnapshot ExportSnapshot() => KvSnapshot.FromTensors(_keys, _values, _fingerprint);

    public void Dispose()
    {
        foreach (var t in _keys)
        {
            t.Dispose();
        }
        foreach (var t in _values)
        {
            t.Dispose();
        }
    }
}
