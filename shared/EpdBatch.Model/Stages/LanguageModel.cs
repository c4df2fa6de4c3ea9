using EpdBatch.Model.Config;
using EpdBatch.Model.Loading;
using EpdBatch.Model.Modules;
using EpdBatch.Model.Runtime;
using EpdBatch.Model.Sampling;
using EpdBatch.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace EpdBatch.Model.Stages;

/// <summary>
/// The language model as prefill and decode workers hold it (no vision tower): prefill of prompt + multimodal
/// tokens in batches, and decode batches that sequences join and leave between steps.
/// </summary>
public sealed class LanguageModel : IDisposable
{
    private readonly TextRoot _root;
    private readonly RotaryEmbedding _rope;

    private LanguageModel(LlavaConfig config, GenerationConfig generation, Tokenizer? tokenizer, TextRoot root, Checkpoint checkpoint, Device device, ScalarType dtype)
    {
        Config = config;
        Generation = generation;
        Tokenizer = tokenizer;
        _root = root;
        Fingerprint = checkpoint.Fingerprint;
        Device = device;
        DType = dtype;
        _rope = new RotaryEmbedding(config.Text.HeadDim, config.Text.MaxPositionEmbeddings, config.Text.RopeTheta, dtype, device);
    }

    public LlavaConfig Config { get; }
    public GenerationConfig Generation { get; }
    public Tokenizer? Tokenizer { get; }
    public string Fingerprint { get; }
    public string DTypeName => TensorDType.Name(DType);
    public int ContextLength => Config.Text.MaxPositionEmbeddings;

    /// <summary>Ids at or above this are vocabulary padding (llava-1.5 pads 32002 to 32064) and never sampled; 0 = none.</summary>
    public int VocabLimit => Tokenizer is { } t && t.VocabSize < Config.Text.VocabSize ? t.VocabSize : 0;

    internal Device Device { get; }
    internal ScalarType DType { get; }
    internal TextRoot Root => _root;
    internal RotaryEmbedding Rope => _rope;

    public static LanguageModel Load(string modelDirectory, RuntimeOptions? options = null)
    {
        options ??= RuntimeOptions.Cpu;
        TorchRuntime.Initialize();
        var config = LlavaConfig.Load(modelDirectory);
        var generation = GenerationConfig.Load(modelDirectory, config.Text);
        var tokenizerPath = Path.Combine(modelDirectory, "tokenizer.json");
        var tokenizer = File.Exists(tokenizerPath) ? Tokenizer.Load(modelDirectory) : null;
        var checkpoint = Checkpoint.Open(modelDirectory);
        var device = options.TorchDevice;
        var dtype = options.TorchDType;
        // A checkpoint without lm_head ties the head to the input embeddings.
        var root = new TextRoot(config.Text, separateHead: checkpoint.Contains("lm_head.weight"), dtype, device);
        WeightLoader.Load(root, checkpoint);
        root.eval();
        return new LanguageModel(config, generation, tokenizer, root, checkpoint, device, dtype);
    }

    /// <summary>The model's stop ids (generation_config.json) for sampling settings that name none.</summary>
    public IReadOnlyCollection<int> DefaultStopTokenIds => Generation.EosTokenIds;

    /// <summary>
    /// Replaces each placeholder (image or video token) with as many copies as its media item has tokens. Throws a
    /// <see cref="ModelInputException"/> when placeholders and media do not pair up.
    /// </summary>
    public int[] ExpandPrompt(IReadOnlyList<int> promptIds, IReadOnlyList<MultimodalEmbedding> media)
    {
        var expanded = new List<int>(promptIds.Count + media.Sum(m => m.Tokens));
        var next = 0;
        foreach (var id in promptIds)
        {
            var kind = KindOf(id);
            if (kind is null)
            {
                expanded.Add(id);
                continue;
            }
            if (next >= media.Count)
            {
                throw new ModelInputException("placeholder_mismatch", $"the prompt has more media placeholders than the {media.Count} media item(s) given");
            }
            var item = media[next++];
            if (item.Kind != kind)
            {
                throw new ModelInputException("placeholder_mismatch", $"placeholder {next} is for {kind}, but media item {next} is {item.Kind}");
            }
            expanded.AddRange(Enumerable.Repeat(id, item.Tokens));
        }
        if (next != media.Count)
        {
            throw new ModelInputException("placeholder_mismatch", $"the prompt has {next} media placeholder(s) for {media.Count} media item(s)");
        }
        return [.. expanded];
    }

    /// <summary>
    /// Checks one request as <see cref="Prefill"/> will (sampling values, the media's model, placeholders, length)
    /// and returns its expanded ids. A caller that batches requests checks each one first, so that one bad item
    /// fails alone instead of failing the batch it would have joined.
    /// </summary>
    /// <param name="maxPromptTokens">A limit on the expanded prompt below the model's context, or null.</param>
    /// <exception cref="ModelInputException">The request cannot run: <c>prompt_too_long</c>, <c>empty_prompt</c>, <c>placeholder_mismatch</c>, <c>model_mismatch</c>.</exception>
    /// <exception cref="ArgumentException">Sampling values out of range.</exception>
    public int[] CheckRequest(PrefillRequest request, int? maxPromptTokens = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Sampling.Validate();
        foreach (var m in request.Media)
        {
            CheckMedia(m);
        }
        var expanded = ExpandPrompt(request.PromptIds, request.Media);
        if (expanded.Length == 0)
        {
            throw new ModelInputException("empty_prompt", "the prompt is empty");
        }
        if (maxPromptTokens is { } limit && expanded.Length > limit)
        {
            throw new ModelInputException("prompt_too_long", $"prompt of {expanded.Length} tokens (text and media) exceeds the limit of {limit}");
        }
        if (expanded.Length + request.Sampling.MaxNewTokens > ContextLength)
        {
            throw new ModelInputException("prompt_too_long",
                $"prompt of {expanded.Length} tokens + max_tokens {request.Sampling.MaxNewTokens} exceeds the model's context of {ContextLength}");
        }
        return expanded;
    }

    /// <summary>Prefills a batch of sequences (right-padded to the longest) and samples each one's first token.</summary>
    public IReadOnlyList<PrefillResult> Prefill(IReadOnlyList<PrefillRequest> batch)
    {
        if (batch.Count == 0)
        {
            return [];
        }
        var expanded = new int[batch.Count][];
        for (var b = 0; b < batch.Count; b++)
        {
            expanded[b] = CheckRequest(batch[b]);
        }

        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        var t = expanded.Max(e => e.Length);
        var ids = new long[batch.Count * t];
        for (var b = 0; b < batch.Count; b++)
        {
            for (var i = 0; i < expanded[b].Length; i++)
            {
                ids[b * t + i] = expanded[b][i];
            }
        }
        var idTensor = tensor(ids, [batch.Count, t], device: Device);
        var hidden = _root.Text.Embeddings.Forward(idTensor);                  // [batch, seq, hidden]
        for (var b = 0; b < batch.Count; b++)
        {
            MergeMedia(hidden[b], expanded[b], batch[b].Media);
        }

        var layers = _root.Text.Layers;
        var repeats = layers[0].Attention.Repeats;
        var cos = _rope.Cos.narrow(0, 0, t);                                   // [seq, head_dim]
        var sin = _rope.Sin.narrow(0, 0, t);
        var causal = ones([t, t], ScalarType.Bool, Device).tril();
        var mask = causal.repeat(repeats, 1).view(1, 1, repeats * t, t);      // [1, 1, rep·seq, seq]
        var keys = new Tensor[layers.Count][];
        var values = new Tensor[layers.Count][];
        for (var l = 0; l < layers.Count; l++)
        {
            hidden = layers[l].Prefill(hidden, cos, sin, mask, out var k, out var v); // k, v: [batch, kv_heads, seq, head_dim]
            keys[l] = Split(k, expanded);
            values[l] = Split(v, expanded);
        }
        hidden = _root.Text.Norm.Forward(hidden);

        var lastIndex = tensor(expanded.Select(e => (long)e.Length - 1).ToArray(), device: Device);
        var last = hidden.gather(1, lastIndex.view(-1, 1, 1).expand(-1, 1, hidden.shape[2])).squeeze(1); // [batch, hidden]
        var logits = _root.Logits(last).to(ScalarType.Float32);                // [batch, vocab]
        var first = Sampler.Sample(logits, batch.Select(r => (SamplingParams?)r.Sampling).ToArray(), new int[batch.Count], VocabLimit);
        var hostLogits = logits.cpu();

        var results = new PrefillResult[batch.Count];
        for (var b = 0; b < batch.Count; b++)
        {
            long[]? argmaxAll = null;
            if (batch[b].ReturnArgmaxAll)
            {
                var all = _root.Logits(hidden[b].narrow(0, 0, expanded[b].Length)).argmax(-1).cpu();
                argmaxAll = all.data<long>().ToArray();
            }
            var layerKeys = new Tensor[layers.Count];
            var layerValues = new Tensor[layers.Count];
            for (var l = 0; l < layers.Count; l++)
            {
                layerKeys[l] = keys[l][b].DetachFromDisposeScope();
                layerValues[l] = values[l][b].DetachFromDisposeScope();
            }
            results[b] = new PrefillResult(layerKeys, layerValues, Fingerprint, expanded[b].Length, (int)first[b],
                hostLogits[b].data<float>().ToArray(), argmaxAll);
        }
        return results;
    }

    /// <summary>
    /// Decodes one prefilled sequence alone, to its end (a stop token or its <see cref="SamplingParams.MaxNewTokens"/>):
    /// what the pipeline computes for an item, in one process with nothing batched beside it, so the reference its
    /// runs are checked against. The first token is the prefill's; where it already ends the sequence, nothing is decoded.
    /// </summary>
    public GeneratedSequence DecodeToEnd(PrefillResult prefill, SamplingParams sampling)
    {
        var tokens = new List<int> { prefill.FirstToken };
        var finish = FinishReason.After(prefill.FirstToken, 1, sampling);
        if (finish is null)
        {
            using var batch = CreateDecodeBatch(1, prefill.PromptLength + sampling.MaxNewTokens);
            batch.Admit(prefill, sampling);
            while (batch.ActiveCount > 0)
            {
                foreach (var step in batch.Step())
                {
                    tokens.Add(step.Token);
                    finish = step.FinishReason ?? finish;
                }
            }
        }
        return new GeneratedSequence(tokens, finish ?? throw new InvalidOperationException("the decode batch emptied before the sequence finished"));
    }

    /// <summary>A decode batch of up to <paramref name="maxBatch"/> sequences of up to <paramref name="capacity"/> positions each.</summary>
    public DecodeBatch CreateDecodeBatch(int maxBatch, int? capacity = null) =>
        new(this, maxBatch, Math.Min(capacity ?? ContextLength, ContextLength));

    /// <summary>
    /// Whether a prefill result (of this process, maybe of another copy of the model) can join this model's decode
    /// batch: same model (fingerprint) and dtype, as <see cref="CheckSnapshot"/> demands of a snapshot.
    /// </summary>
    public bool CanContinue(PrefillResult prefill) => prefill.Fingerprint == Fingerprint && prefill.DType == DType;

    /// <summary>Checks that a prefill result was made by this model in this dtype.</summary>
    internal void CheckPrefill(PrefillResult prefill)
    {
        if (!CanContinue(prefill))
        {
            throw new InvalidDataException($"prefill result was made by model {prefill.Fingerprint} in {TensorDType.Name(prefill.DType)}, this worker runs {Fingerprint} in {DTypeName}");
        }
    }

    /// <summary>Checks that a snapshot was made by this model in this dtype.</summary>
    internal void CheckSnapshot(KvSnapshot snapshot)
    {
        var text = Config.Text;
        if (snapshot.Fingerprint != Fingerprint)
        {
            throw new InvalidDataException($"KV snapshot was made by model {snapshot.Fingerprint}, this worker runs {Fingerprint}");
        }
        if (snapshot.DType != DType)
        {
            throw new InvalidDataException($"KV snapshot is {snapshot.DTypeName}, this worker runs {DTypeName}");
        }
        if (snapshot.Layers != text.NumHiddenLayers || snapshot.KvHeads != text.NumKeyValueHeads || snapshot.HeadDim != text.HeadDim)
        {
            throw new InvalidDataException(
                $"KV snapshot has {snapshot.Layers} layers × {snapshot.KvHeads} KV heads × {snapshot.HeadDim}, the model {text.NumHiddenLayers} × {text.NumKeyValueHeads} × {text.HeadDim}");
        }
    }

    private void CheckMedia(MultimodalEmbedding media)
    {
        if (media.Fingerprint != Fingerprint)
        {
            throw new ModelInputException("model_mismatch", $"multimodal tokens were made by model {media.Fingerprint}, this worker runs {Fingerprint}");
        }
        if (media.Hidden != Config.Text.HiddenSize)
        {
            throw new ModelInputException("model_mismatch", $"multimodal tokens have width {media.Hidden}, the language model {Config.Text.HiddenSize}");
        }
    }

    private MultimodalKind? KindOf(int id) =>
        id == Config.ImageTokenId ? MultimodalKind.Image
        : id == Config.VideoTokenId ? MultimodalKind.Video
        : null;

    /// <summary>Writes the media tokens over their placeholder positions (what masked_scatter does, with counts checked).</summary>
    private void MergeMedia(Tensor embeds, int[] expanded, IReadOnlyList<MultimodalEmbedding> media)
    {
        if (media.Count == 0)
        {
            return;
        }
        var positions = new List<long>();
        for (var i = 0; i < expanded.Length; i++)
        {
            if (KindOf(expanded[i]) is not null)
            {
                positions.Add(i);
            }
        }
        var tokens = cat(media.Select(m => m.ToTensor(Device).to(DType)).ToArray(), 0); // [media_tokens, hidden]
        if (tokens.shape[0] != positions.Count)
        {
            throw new ModelInputException("placeholder_mismatch", $"{positions.Count} placeholder positions for {tokens.shape[0]} multimodal tokens");
        }
        embeds.index_copy_(0, tensor(positions.ToArray(), device: Device), tokens);
    }

    /// <summary>Per sequence: [kv_heads, own_length, head_dim], contiguous, so padding never leaves prefill.</summary>
    private static Tensor[] Split(Tensor batched, int[][] expanded)
    {
        var parts = new Tensor[expanded.Length];
        for (var b = 0; b < expanded.Length; b++)
        {
            var part = batched[b].narrow(1, 0, expanded[b].Length);
            // contiguous() returns a view where the part already is one (the batch's longest prompt, or any with one
            // KV head), and that view would keep the whole batch's cache alive as long as this item's result lives.
            parts[b] = expanded.Length > 1 && part.is_contiguous() ? part.clone() : part.contiguous();
        }
        return parts;
    }

    public void Dispose()
    {
        _rope.Dispose();
        _root.Dispose();
    }
}
