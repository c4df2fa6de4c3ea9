using System.Text;
using System.Text.Json.Nodes;
using EpdBatch.Text;

namespace EpdBatch.Media.Tests;

/// <summary>
/// A small Llama-style (SentencePiece BPE) tokenizer.json built here: "▁" word markers, &lt;0xNN&gt; byte fallback
/// for characters outside the vocabulary, and the two layouts transformers writes (legacy Prepend+Replace
/// normalizer, or a Metaspace pre-tokenizer with the "first" prepend scheme).
/// </summary>
[TestFixture]
public sealed class SentencePieceTokenizerTests
{
    private const int Bos = 1;
    private const int Eos = 2;
    private const int ByteBase = 3;
    private const int Image = 300;

    private static readonly string[] s_pieces =
        ["▁", "H", "e", "l", "o", "w", "r", "d", "ll", "▁H", "▁He", "▁Hell", "▁Hello", "▁w", "or", "▁wor", "ld", "▁world"];

    private static readonly string[][] s_merges =
    [
        ["l", "l"], ["▁", "H"], ["▁H", "e"], ["▁He", "ll"], ["▁Hell", "o"],
        ["▁", "w"], ["o", "r"], ["▁w", "or"], ["l", "d"], ["▁wor", "ld"],
    ];

    private string _directory = null!;

    [OneTimeSetUp]
    public void CreateDirectory()
    {
        _directory = Path.Combine(Path.GetTempPath(), "epdbatch-sp-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
    }

    [OneTimeTearDown]
    public void DeleteDirectory() => Directory.Delete(_directory, recursive: true);

    [Test]
    public void EncodesWordsWithMergesAndBos()
    {
        var tokenizer = Write(legacy: true);
        Assert.Multiple(() =>
        {
            Assert.That(tokenizer.Encode("Hello world"), Is.EqualTo(new[] { Id("▁Hello"), Id("▁world") }));
            Assert.That(tokenizer.Encode("Hello world", addSpecialTokens: true), Is.EqualTo(new[] { Bos, Id("▁Hello"), Id("▁world") }));
            Assert.That(tokenizer.BosTokenId, Is.EqualTo(Bos));
            Assert.That(tokenizer.EosTokenId, Is.EqualTo(Eos));
            Assert.That(tokenizer.VocabSize, Is.EqualTo(Image + 1));
        });
    }

    [Test]
    public void UnknownCharactersFallBackToUtf8Bytes()
    {
        var tokenizer = Write(legacy: true);
        var ids = tokenizer.Encode("Hello é!");

        // é is C3 A9 in UTF-8 and "!" is 21; neither is a vocabulary piece.
        Assert.That(ids, Is.EqualTo(new[] { Id("▁Hello"), Id("▁"), ByteBase + 0xC3, ByteBase + 0xA9, ByteBase + 0x21 }));
        Assert.That(tokenizer.Decode(ids), Is.EqualTo("Hello é!"));
    }

    [Test]
    public void DecodeKeepsOrSkipsBos()
    {
        var tokenizer = Write(legacy: true);
        var ids = tokenizer.Encode("Hello world", addSpecialTokens: true);
        Assert.Multiple(() =>
        {
            // Hugging Face's Strip decoder removes one leading space of the whole text, which here follows "<s>".
            Assert.That(tokenizer.Decode(ids), Is.EqualTo("<s> Hello world"));
            Assert.That(tokenizer.Decode(ids, skipSpecialTokens: true), Is.EqualTo("Hello world"));
        });
    }

    [Test]
    public void LegacyNormalizerPrependsToEverySegmentBetweenAddedTokens()
    {
        var tokenizer = Write(legacy: true);
        Assert.That(
            tokenizer.Encode("Hello <image>\nworld"),
            Is.EqualTo(new[] { Id("▁Hello"), Id("▁"), Image, Id("▁"), ByteBase + 0x0A, Id("w"), Id("or"), Id("ld") }));
    }

    [Test]
    public void MetaspaceFirstSchemePrependsOnlyAtTheStart()
    {
        var tokenizer = Write(legacy: false);
        Assert.That(
            tokenizer.Encode("Hello <image>\nworld"),
            Is.EqualTo(new[] { Id("▁Hello"), Id("▁"), Image, ByteBase + 0x0A, Id("w"), Id("or"), Id("ld") }));
        Assert.That(tokenizer.Decode(tokenizer.Encode("Hello world é")), Is.EqualTo("Hello world é"));
    }

    [Test]
    public void StreamingHoldsFallbackBytesUntilTheCharacterCompletes()
    {
        var tokenizer = Write(legacy: true);
        var text = "Hello é world 👍!";
        var ids = tokenizer.Encode(text);
        var decoder = tokenizer.CreateStreamingDecoder();
        var output = new StringBuilder();
        foreach (var id in ids)
        {
            var piece = decoder.Push(id);
            Assert.That(piece, Does.Not.Contain('\uFFFD'));
            if (id == ByteBase + 0xC3)
            {
                Assert.That(piece, Is.Empty, "the first byte of é alone is not a character");
            }

            output.Append(piece);
        }

        output.Append(decoder.Flush());
        Assert.That(output.ToString(), Is.EqualTo(text));
    }

    private static int Id(string piece) => ByteBase + 256 + Array.IndexOf(s_pieces, piece);

    private static JsonObject Component(string type, params (string Key, JsonNode? Value)[] fields)
    {
        var node = new JsonObject { ["type"] = type };
        foreach (var (key, value) in fields)
        {
            node[key] = value;
        }

        return node;
    }

    private static JsonObject AddedToken(int id, string content, bool special) => new()
    {
        ["id"] = id,
        ["content"] = content,
        ["single_word"] = false,
        ["lstrip"] = false,
        ["rstrip"] = false,
        ["normalized"] = false,
        ["special"] = special,
    };

    private Tokenizer Write(bool legacy)
    {
        var vocab = new JsonObject { ["<unk>"] = 0, ["<s>"] = Bos, ["</s>"] = Eos };
        for (var b = 0; b < 256; b++)
        {
            vocab[$"<0x{b:X2}>"] = ByteBase + b;
        }

        foreach (var piece in s_pieces)
        {
            vocab[piece] = Id(piece);
        }

        // Both merge spellings occur in the wild: "a b" (older files) and ["a", "b"] (tokenizers >= 0.20).
        var merges = new JsonArray(s_merges
            .Select(m => legacy ? (JsonNode)JsonValue.Create($"{m[0]} {m[1]}") : new JsonArray(m[0], m[1]))
            .ToArray());

        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = new JsonArray(AddedToken(0, "<unk>", true), AddedToken(Bos, "<s>", true), AddedToken(Eos, "</s>", true), AddedToken(Image, "<image>", true)),
            ["normalizer"] = legacy
                ? Component("Sequence", ("normalizers", new JsonArray(
                    Component("Prepend", ("prepend", "▁")),
                    Component("Replace", ("pattern", new JsonObject { ["String"] = " " }), ("content", "▁")))))
                : null,
            ["pre_tokenizer"] = legacy
                ? null
                : Component("Metaspace", ("replacement", "▁"), ("prepend_scheme", "first"), ("split", false)),
            ["post_processor"] = Component(
                "TemplateProcessing",
                ("single", new JsonArray(
                    new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "<s>", ["type_id"] = 0 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } })),
                ("special_tokens", new JsonObject { ["<s>"] = new JsonObject { ["id"] = "<s>", ["ids"] = new JsonArray(Bos), ["tokens"] = new JsonArray("<s>") } })),
            ["decoder"] = Component("Sequence", ("decoders", new JsonArray(
                Component("Replace", ("pattern", new JsonObject { ["String"] = "▁" }), ("content", " ")),
                Component("ByteFallback"),
                Component("Fuse"),
                Component("Strip", ("content", " "), ("start", 1), ("stop", 0))))),
            ["model"] = Component(
                "BPE",
                ("unk_token", "<unk>"),
                ("fuse_unk", true),
                ("byte_fallback", true),
                ("vocab", vocab),
                ("merges", merges)),
        };

        var folder = Path.Combine(_directory, legacy ? "legacy" : "metaspace");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), root.ToJsonString());
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), """{"bos_token": "<s>", "eos_token": "</s>", "add_bos_token": true}""");
        return Tokenizer.Load(folder);
    }
}
