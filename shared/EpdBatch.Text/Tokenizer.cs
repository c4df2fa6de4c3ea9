using System.Text.Json;
using EpdBatch.Text.Internal;

namespace EpdBatch.Text;

/// <summary>
/// A Hugging Face <c>tokenizer.json</c> with a BPE model, byte-level (GPT-2, Qwen, Llama 3) or SentencePiece-style
/// (Llama 2, with <c>&lt;0xNN&gt;</c> byte fallback). Encoding follows tokenizers' order: added tokens are cut out
/// of the raw text, the rest is normalized, pre-tokenized and run through BPE. Instances are immutable apart from
/// a thread-safe word cache, so one instance serves every thread.
/// <para>
/// Unicode normalizers (NFC and kin) use <see cref="string.Normalize()"/>, which needs ICU: a process running with
/// <c>InvariantGlobalization</c> leaves non-ASCII text as it is, so input that is not already NFC (e.g. "e" +
/// U+0301) encodes to different, still lossless, ids than Hugging Face's. Text that is already NFC, nearly all real
/// text, is unaffected.
/// </para>
/// </summary>
public sealed class Tokenizer
{
    private static readonly string[] s_bosCandidates = ["<s>", "<|begin_of_text|>", "<bos>"];
    private static readonly string[] s_eosCandidates = ["</s>", "<|end_of_text|>", "<|endoftext|>", "<eos>"];

    private readonly Dictionary<string, int> _vocab;
    private readonly string?[] _idToToken;
    private readonly Dictionary<int, AddedToken> _addedById;
    private readonly Dictionary<string, int> _addedByContent;
    private readonly AddedTokenSplitter _rawSplitter;
    private readonly AddedTokenSplitter _normalizedSplitter;
    private readonly Func<string, string>? _normalizer;
    private readonly PreTokenizeStep[] _preTokenizer;
    private readonly BpeModel _model;
    private readonly PostProcessor _postProcessor;
    private readonly Func<List<string>, List<string>>? _decoder;

    private Tokenizer(
        Dictionary<string, int> vocab,
        List<AddedToken> addedTokens,
        Func<string, string>? normalizer,
        PreTokenizeStep[] preTokenizer,
        BpeModel model,
        PostProcessor postProcessor,
        Func<List<string>, List<string>>? decoder,
        TokenizerConfig config)
    {
        _vocab = vocab;
        _normalizer = normalizer;
        _preTokenizer = preTokenizer;
        _model = model;
        _decoder = decoder;
        _addedById = new Dictionary<int, AddedToken>();
        _addedByContent = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var token in addedTokens)
        {
            _addedById[token.Id] = token;
            _addedByContent[token.Content] = token.Id;
        }

        _rawSplitter = new AddedTokenSplitter(addedTokens.Where(static t => !t.Normalized));
        _normalizedSplitter = new AddedTokenSplitter(addedTokens.Where(static t => t.Normalized));

        var maxId = -1;
        foreach (var id in vocab.Values)
        {
            maxId = Math.Max(maxId, id);
        }

        foreach (var token in addedTokens)
        {
            maxId = Math.Max(maxId, token.Id);
        }

        VocabSize = maxId + 1;
        _idToToken = new string?[VocabSize];
        foreach (var (token, id) in vocab)
        {
            _idToToken[id] = token;
        }

        BosTokenId = Resolve(config.BosToken) ?? FirstOrNull(postProcessor.Prefix) ?? FirstKnown(s_bosCandidates);
        EosTokenId = Resolve(config.EosToken) ?? LastOrNull(postProcessor.Suffix) ?? FirstKnown(s_eosCandidates);

        // Only when tokenizer.json's post_processor is silent does tokenizer_config.json decide, as in transformers.
        if (!postProcessor.IsTemplate && (config.AddBosToken || config.AddEosToken))
        {
            postProcessor = PostProcessor.Fixed(
                config.AddBosToken && BosTokenId is int bos ? [bos] : [],
                config.AddEosToken && EosTokenId is int eos ? [eos] : []);
        }

        _postProcessor = postProcessor;
    }

    /// <summary>Largest id (vocabulary or added token) plus one.</summary>
    public int VocabSize { get; }

    /// <summary>
    /// Beginning-of-sequence id: tokenizer_config.json's <c>bos_token</c>, else the post-processor template's first
    /// special token, else an added token named <c>&lt;s&gt;</c>, <c>&lt;|begin_of_text|&gt;</c> or <c>&lt;bos&gt;</c>.
    /// </summary>
    public int? BosTokenId { get; }

    /// <summary>
    /// End-of-sequence id: tokenizer_config.json's <c>eos_token</c>, else the template's last special token, else an
    /// added token named <c>&lt;/s&gt;</c>, <c>&lt;|end_of_text|&gt;</c>, <c>&lt;|endoftext|&gt;</c> or <c>&lt;eos&gt;</c>.
    /// </summary>
    public int? EosTokenId { get; }

    /// <summary>
    /// Loads <c>tokenizer.json</c>; a directory means <c>&lt;dir&gt;/tokenizer.json</c>. A
    /// <c>tokenizer_config.json</c> beside it, when present, supplies <c>bos_token</c>/<c>eos_token</c> and
    /// <c>add_bos_token</c>/<c>add_eos_token</c>.
    /// </summary>
    public static Tokenizer Load(string fileOrDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileOrDirectory);
        var file = Directory.Exists(fileOrDirectory) ? Path.Combine(fileOrDirectory, "tokenizer.json") : fileOrDirectory;
        if (!File.Exists(file))
        {
            throw new FileNotFoundException($"No tokenizer.json at '{file}'.", file);
        }

        var configPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, "tokenizer_config.json");
        var config = File.Exists(configPath) ? TokenizerConfig.Load(configPath) : TokenizerConfig.Empty;

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(file));
            return FromJson(document.RootElement, config);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{file}' is not valid JSON: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is InvalidDataException or NotSupportedException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"Cannot load tokenizer '{file}': {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Encodes text. Added tokens written in the text (e.g. <c>&lt;image&gt;</c>, <c>&lt;|im_start|&gt;</c>) become
    /// their ids. <paramref name="addSpecialTokens"/> applies the post-processor (e.g. BOS for Llama).
    /// </summary>
    public int[] Encode(string text, bool addSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 4);
        if (addSpecialTokens)
        {
            ids.AddRange(_postProcessor.Prefix);
        }

        var raw = new List<TextSegment>();
        _rawSplitter.Split(new TextSegment(text, AtStart: true), raw);
        var normalized = new List<TextSegment>();
        foreach (var segment in raw)
        {
            if (segment.AddedTokenId is int addedId)
            {
                ids.Add(addedId);
                continue;
            }

            normalized.Clear();
            var normalizedText = _normalizer is null ? segment.Text : _normalizer(segment.Text);
            _normalizedSplitter.Split(segment with { Text = normalizedText }, normalized);
            foreach (var piece in normalized)
            {
                if (piece.AddedTokenId is int normalizedAddedId)
                {
                    ids.Add(normalizedAddedId);
                }
                else
                {
                    EncodePiece(piece, ids);
                }
            }
        }

        if (addSpecialTokens)
        {
            ids.AddRange(_postProcessor.Suffix);
        }

        return [.. ids];
    }

    /// <summary>Decodes ids to text; ids that are neither in the vocabulary nor added tokens are ignored.</summary>
    public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var tokens = new List<string>(ids.Count);
        for (var i = 0; i < ids.Count; i++)
        {
            var id = ids[i];
            if (_addedById.TryGetValue(id, out var added))
            {
                if (!(skipSpecialTokens && added.Special))
                {
                    tokens.Add(added.Content);
                }
            }
            else if ((uint)id < (uint)_idToToken.Length && _idToToken[id] is { } token)
            {
                tokens.Add(token);
            }
        }

        if (tokens.Count == 0)
        {
            return string.Empty;
        }

        return _decoder is null ? string.Join(' ', tokens) : string.Concat(_decoder(tokens));
    }

    public int? TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (_addedByContent.TryGetValue(token, out var added))
        {
            return added;
        }

        return _vocab.TryGetValue(token, out var id) ? id : null;
    }

    public string? IdToToken(int id)
    {
        if (_addedById.TryGetValue(id, out var added))
        {
            return added.Content;
        }

        return (uint)id < (uint)_idToToken.Length ? _idToToken[id] : null;
    }

    /// <summary>A decoder for generated ids that emits text only once it is complete (whole UTF-8 characters).</summary>
    public StreamingDecoder CreateStreamingDecoder(bool skipSpecialTokens = true) => new(this, skipSpecialTokens);

    private static Tokenizer FromJson(JsonElement root, TokenizerConfig config)
    {
        var modelJson = root.GetObjectOrNull("model") ?? throw new InvalidDataException("tokenizer.json has no \"model\".");
        var modelType = modelJson.GetStringOrNull("type") ?? (modelJson.TryGetProperty("merges", out _) ? "BPE" : "unknown");
        if (modelType != "BPE")
        {
            throw new NotSupportedException($"tokenizer.json model type '{modelType}' is not supported (only BPE).");
        }

        var vocabJson = modelJson.GetObjectOrNull("vocab") ?? throw new InvalidDataException("tokenizer.json model has no \"vocab\" object.");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in vocabJson.EnumerateObject())
        {
            vocab[entry.Name] = entry.Value.GetInt32();
        }

        var merges = new List<(string, string)>();
        foreach (var merge in modelJson.GetArrayItems("merges"))
        {
            merges.Add(ParseMerge(merge));
        }

        var preTokenizer = PreTokenizerFactory.Create(root.GetObjectOrNull("pre_tokenizer"));
        var model = new BpeModel(
            vocab,
            merges,
            modelJson.GetStringOrNull("unk_token"),
            modelJson.GetBool("fuse_unk", false),
            modelJson.GetBool("byte_fallback", false),
            modelJson.GetBool("ignore_merges", false),
            modelJson.GetStringOrNull("continuing_subword_prefix"),
            modelJson.GetStringOrNull("end_of_word_suffix"));

        var addedTokens = root.GetArrayItems("added_tokens")
            .Select(static t => new AddedToken(
                t.GetProperty("id").GetInt32(),
                t.GetStringOrNull("content") ?? throw new InvalidDataException("An added token has no content."),
                t.GetBool("special", false),
                t.GetBool("normalized", !t.GetBool("special", false)),
                t.GetBool("lstrip", false),
                t.GetBool("rstrip", false),
                t.GetBool("single_word", false)))
            .ToList();

        return new Tokenizer(
            vocab,
            addedTokens,
            NormalizerFactory.Create(root.GetObjectOrNull("normalizer")),
            preTokenizer,
            model,
            PostProcessor.Create(root.GetObjectOrNull("post_processor")),
            DecoderFactory.Create(root.GetObjectOrNull("decoder")),
            config);
    }

    private static (string Left, string Right) ParseMerge(JsonElement merge)
    {
        if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2)
        {
            return (merge[0].GetString()!, merge[1].GetString()!);
        }

        if (merge.ValueKind == JsonValueKind.String)
        {
            var text = merge.GetString()!;
            var space = text.IndexOf(' ', StringComparison.Ordinal);
            if (space > 0 && space < text.Length - 1)
            {
                return (text[..space], text[(space + 1)..]);
            }
        }

        throw new InvalidDataException($"Malformed BPE merge {merge.GetRawText()}: expected \"a b\" or [\"a\", \"b\"].");
    }

    private static int? FirstOrNull(int[] ids) => ids.Length > 0 ? ids[0] : null;

    private static int? LastOrNull(int[] ids) => ids.Length > 0 ? ids[^1] : null;

    private int? Resolve(string? token) => token is null ? null : TokenToId(token);

    private int? FirstKnown(string[] candidates)
    {
        // Only added tokens count: a plain vocabulary entry that happens to read "<s>" (Qwen has one) is text.
        foreach (var candidate in candidates)
        {
            if (_addedByContent.TryGetValue(candidate, out var id))
            {
                return id;
            }
        }

        return null;
    }

    private void EncodePiece(TextSegment segment, List<int> ids)
    {
        if (segment.Text.Length == 0)
        {
            return;
        }

        if (_preTokenizer.Length == 0)
        {
            _model.Tokenize(segment.Text, ids);
            return;
        }

        var current = new List<TextSegment> { segment };
        var next = new List<TextSegment>();
        foreach (var step in _preTokenizer)
        {
            next.Clear();
            foreach (var piece in current)
            {
                step(piece, next);
            }

            (current, next) = (next, current);
        }

        foreach (var piece in current)
        {
            _model.Tokenize(piece.Text, ids);
        }
    }
}
