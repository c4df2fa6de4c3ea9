using EpdBatch.Model.Sampling;
using TorchSharp;
using static EpdBatch.Model.Runtime.Scalars;
using static TorchSharp.torch;

namespace EpdBatch.Model.Stages;

/// <summary>
/// Continuous batching over a preallocated KV cache ([slots, kv_heads, capacity, head_dim] per layer). Sequences
/// join into the lowest free slot and leave as soon as they finish; each step runs rows 0..highest-active, so the
/// cache is read in place (no gather, no per-token concatenation). Not thread-safe: one decode loop owns it.
/// </summary>
public sealed class DecodeBatch : IDisposable
{
    private readonly LanguageModel _model;
    private readonly Tensor[] _keys;
    private readonly Tensor[] _values;
    private readonly Sequence?[] _slots;

    internal DecodeBatch(LanguageModel model, int maxBatch, int capacity)
    {
        if (maxBatch < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxBatch), maxBatch, "a decode batch holds at least one sequence");
        }
        _model = model;
        MaxBatch = maxBatch;
        Capacity = capacity;
        var text = model.Config.Text;
        _keys = new Tensor[text.NumHiddenLayers];
        _values = new Tensor[text.NumHiddenLayers];
        // Cache tensors are made in inference mode: in-place updates of inference tensors fail outside it.
        using var inference = inference_mode();
        for (var l = 0; l < text.NumHiddenLayers; l++)
        {
            _keys[l] = zeros([maxBatch, text.NumKeyValueHeads, capacity, text.HeadDim], model.DType, model.Device);
            _values[l] = zeros([maxBatch, text.NumKeyValueHeads, capacity, text.HeadDim], model.DType, model.Device);
        }
        _slots = new Sequence?[maxBatch];
    }

    public int MaxBatch { get; }

    /// <summary>Positions per sequence: prompt + generated tokens must fit.</summary>
    public int Capacity { get; }

    public int ActiveCount => _slots.Count(s => s is not null);

    public bool HasFreeSlot => Array.IndexOf(_slots, null) >= 0;

    /// <summary>Joins a sequence from a KV snapshot made in another process (or this one).</summary>
    /// <param name="firstToken">The token prefill sampled, which this batch feeds first.</param>
    /// <param name="tag">Anything the caller wants back with this sequence's steps (e.g. its item id).</param>
    public int Admit(KvSnapshot snapshot, int firstToken, SamplingParams sampling, object? tag = null)
    {
        _model.CheckSnapshot(snapshot);
        var slot = Reserve(snapshot.Length, sampling);
        using var inference = inference_mode();
        for (var l = 0; l < _keys.Length; l++)
        {
            using var k = snapshot.Plane(l, 0);
            using var v = snapshot.Plane(l, 1);
            CopyIntoSlot(slot, l, k, v);
        }
        return Activate(slot, snapshot.Length, firstToken, sampling, tag);
    }

    /// <summary>Joins a sequence prefilled in this process, copying its cache device-to-device.</summary>
    public int Admit(PrefillResult prefill, SamplingParams sampling, object? tag = null)
    {
        _model.CheckPrefill(prefill);
        var slot = Reserve(prefill.PromptLength, sampling);
        using var inference = inference_mode();
        for (var l = 0; l < _keys.Length; l++)
        {
            CopyIntoSlot(slot, l, prefill.Keys[l], prefill.Values[l]);
        }
        return Activate(slot, prefill.PromptLength, prefill.FirstToken, sampling, tag);
    }

    /// <summary>Drops a sequence (e.g. its job was cancelled); its slot is free for the next one.</summary>
    public void Remove(int slot) => _slots[slot] = null;

    /// <summary>One token for every active sequence. Finished sequences leave the batch before this returns.</summary>
    public IReadOnlyList<DecodeStep> Step()
    {
        var rows = Array.FindLastIndex(_slots, s => s is not null) + 1;
        if (rows == 0)
        {
            return [];
        }
        var tokens = new long[rows];
        var positions = new long[rows];
        var sampling = new SamplingParams?[rows];
        var steps = new int[rows];
        for (var r = 0; r < rows; r++)
        {
            if (_slots[r] is { } s)
            {
                tokens[r] = s.NextInput;
                positions[r] = s.Position;
                sampling[r] = s.Sampling;
                steps[r] = s.Generated;
            }
        }
        var keyLength = positions.Max() + 1;

        long[] next;
        using (inference_mode())
        using (NewDisposeScope())
        {
            var device = _model.Device;
            using var rowCount = rows.ToScalar();
            using var keyCount = keyLength.ToScalar();
            var positionTensor = tensor(positions, device: device);
            var rowTensor = arange(Zero, rowCount, One, ScalarType.Int64, device);
            var hidden = _model.Root.Text.Embeddings.Forward(tensor(tokens, [rows, 1], device: device)); // [rows, 1, hidden]
            var cos = _model.Rope.Cos.index_select(0, positionTensor).view(rows, 1, 1, -1);             // [rows, 1, 1, head_dim]
            var sin = _model.Rope.Sin.index_select(0, positionTensor).view(rows, 1, 1, -1);
            var mask = (arange(Zero, keyCount, One, ScalarType.Int64, device).unsqueeze(0) <= positionTensor.unsqueeze(1))
                .view(rows, 1, 1, keyLength);                                                              // [rows, 1, 1, key_len]
            var layers = _model.Root.Text.Layers;
            for (var l = 0; l < layers.Count; l++)
            {
                hidden = layers[l].Decode(hidden, cos, sin, mask, _keys[l], _values[l], rowTensor, positionTensor, keyLength);
            }
            var logits = _model.Root.Logits(_model.Root.Text.Norm.Forward(hidden)).squeeze(1);            // [rows, vocab]
            next = Sampler.Sample(logits, sampling, steps, _model.VocabLimit);
        }

        var results = new List<DecodeStep>(rows);
        for (var r = 0; r < rows; r++)
        {
            if (_slots[r] is not { } s)
            {
                continue;
            }
            var token = (int)next[r];
            s.Accept(token);
            var reason = FinishReason.After(token, s.Generated, s.Sampling)
                ?? (s.Position >= Capacity ? FinishReason.Length : null);
            results.Add(new DecodeStep(r, s.Tag, token, s.Generated, reason));
            if (reason is not null)
            {
                _slots[r] = null;
            }
        }
        return results;
    }

    private int Reserve(int promptLength, SamplingParams sampling)
    {
        var slot = Array.IndexOf(_slots, null);
        if (slot < 0)
        {
            throw new InvalidOperationException($"the decode batch is full ({MaxBatch} sequences)");
        }
        if (promptLength + sampling.MaxNewTokens > Capacity)
        {
            throw new ModelInputException("prompt_too_long",
                $"prompt of {promptLength} tokens + max_tokens {sampling.MaxNewTokens} exceeds the decode capacity of {Capacity}");
        }
        return slot;
    }

    private int Activate(int slot, int length, int firstToken, SamplingParams sampling, object? tag)
    {
        if (FinishReason.After(firstToken, 1, sampling) is not null)
        {
            throw new InvalidOperationException("the sequence already ended with its first token; do not admit it");
        }
        _slots[slot] = new Sequence(sampling, tag, length, firstToken);
        return slot;
    }

    private void CopyIntoSlot(int slot, int layer, Tensor keys, Tensor values)
    {
        var length = keys.shape[1];
        // Each intermediate is held: Admit runs outside a dispose scope, where nothing else keeps it alive.
        using var slotKeys = _keys[layer][slot];
        using var slotValues = _values[layer][slot];
        using var k = slotKeys.narrow(1, 0, length);
        using var v = slotValues.narrow(1, 0, length);
        k.copy_(keys);
        v.copy_(values);
    }

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

    /// <summary>Host-side state of one sequence: where its next key goes and what it feeds next.</summary>
    private sealed class Sequence(SamplingParams sampling, object? tag, int position, int firstToken)
    {
        public SamplingParams Sampling { get; } = sampling;
        public object? Tag { get; } = tag;
        public int Position { get; private set; } = position;
        public int NextInput { get; private set; } = firstToken;
        public int Generated { get; private set; } = 1;

        public void Accept(int token)
        {
            Position++;
            NextInput = token;
            Generated++;
        }
    }
}
