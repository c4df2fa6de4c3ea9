using System.Text;
using System.Text.Json;
using EpdBatch.Text;

namespace EpdBatch.Media.Tests;

/// <summary>The real Qwen3 byte-level tokenizer (151,643 merges-based tokens + added tokens).</summary>
[TestFixture]
public sealed class QwenTokenizerTests
{
    private static readonly string[] s_roundTripTexts =
    [
        "Hello, world! The quick brown fox jumps over the lazy dog.",
        "café naïve façade über jalapeño — ÀÉÎÕÜ é ü ñ",
        "你好，世界",
        "👍🏽 🎉 👨‍👩‍👧‍👦 ❤️ 🇯🇵",
        "mixed\twhitespace  and\n\nnewlines\r\n digits 0123456789 3.14159   ",
        "Mixed 中文 and English, numbers 42个, emoji 😀!",
        "<|im_start|>user\nHi<|im_end|>",
    ];

    private Tokenizer _tokenizer = null!;

    [OneTimeSetUp]
    public void LoadTokenizer() => _tokenizer = QwenTokenizerSource.Tokenizer;

    [Test]
    public void EncodesKnownSentences()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_tokenizer.Encode("Hello, world!"), Is.EqualTo(new[] { 9707, 11, 1879, 0 }));
            Assert.That(
                _tokenizer.Encode("Describe the image in one sentence."),
                Is.EqualTo(new[] { 74785, 279, 2168, 304, 825, 11652, 13 }));
        });
    }

    [Test]
    public void ChatMarkersAreAddedTokens()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_tokenizer.TokenToId("<|im_start|>"), Is.EqualTo(151644));
            Assert.That(_tokenizer.TokenToId("<|im_end|>"), Is.EqualTo(151645));
            Assert.That(_tokenizer.IdToToken(151644), Is.EqualTo("<|im_start|>"));
            Assert.That(_tokenizer.Encode("<|im_start|>user\nHi<|im_end|>"), Is.EqualTo(new[] { 151644, 872, 198, 13048, 151645 }));
            Assert.That(_tokenizer.VocabSize, Is.EqualTo(151669));
            Assert.That(_tokenizer.EosTokenId, Is.EqualTo(151645), "tokenizer_config.json names <|im_end|> as eos_token");
            Assert.That(_tokenizer.BosTokenId, Is.Null, "Qwen has no BOS token");
            Assert.That(_tokenizer.Encode("Hi", addSpecialTokens: true), Is.EqualTo(new[] { 13048 }), "Qwen adds no special tokens");
        });
    }

    /// <summary>
    /// Ids that transformers.js (the JS port of Hugging Face tokenizers in the same npm package family) gives for a
    /// set of awkward inputs: contractions, digits, whitespace runs, scripts, emoji, code, added tokens.
    /// </summary>
    [Test]
    public void MatchesReferenceIds()
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Data", "qwen3-reference.json")));
        var cases = document.RootElement.EnumerateArray().ToArray();
        Assert.That(cases, Has.Length.GreaterThan(20));
        Assert.Multiple(() =>
        {
            foreach (var item in cases)
            {
                var text = item.GetProperty("text").GetString()!;
                var expected = item.GetProperty("ids").EnumerateArray().Select(static v => v.GetInt32()).ToArray();
                Assert.That(_tokenizer.Encode(text), Is.EqualTo(expected), $"encoding {JsonSerializer.Serialize(text)}");
            }
        });
    }

    [TestCaseSource(nameof(s_roundTripTexts))]
    public void DecodeInvertsEncode(string text)
    {
        var ids = _tokenizer.Encode(text);
        Assert.That(_tokenizer.Decode(ids), Is.EqualTo(text));
    }

    [Test]
    public void SkipSpecialTokensDropsChatMarkers()
    {
        var ids = _tokenizer.Encode("<|im_start|>assistant\nOK<|im_end|>");
        Assert.That(_tokenizer.Decode(ids, skipSpecialTokens: true), Is.EqualTo("assistant\nOK"));
    }

    [TestCase("👍🏽 🎉 你好，世界 👨‍👩‍👧‍👦")]
    [TestCase("Ünïcödé ✓ — 日本語のテキスト 🇯🇵 end")]
    public void StreamingDecodeNeverSplitsCharacters(string text)
    {
        var ids = _tokenizer.Encode(text);
        var decoder = _tokenizer.CreateStreamingDecoder();
        var output = new StringBuilder();
        foreach (var id in ids)
        {
            var piece = decoder.Push(id);
            Assert.That(piece, Does.Not.Contain('\uFFFD'), "a piece split a UTF-8 character");
            output.Append(piece);
        }

        output.Append(decoder.Flush());
        Assert.That(output.ToString(), Is.EqualTo(text));
    }

    [Test]
    public void StreamingDecodeHoldsIncompleteBytesUntilFlush()
    {
        // "👍" is 4 UTF-8 bytes; its first byte alone is an incomplete character.
        var firstByte = _tokenizer.TokenToId("ð")!.Value;
        var decoder = _tokenizer.CreateStreamingDecoder();
        Assert.That(decoder.Push(firstByte), Is.Empty);
        Assert.That(decoder.Flush(), Is.EqualTo("\uFFFD"));
    }

    [Test]
    public void LongWordEncodesInNearLinearTime()
    {
        // One long pre-token: rank-ordered merging is O(n log n); rescanning all pairs per merge is O(n²). Four
        // times the letters must cost well under sixteen times the CPU. Process CPU time (not wall time) and the
        // fastest of three runs keep a busy shared machine from deciding the outcome.
        var shortCost = FastestCpuSeconds(() => EncodeRoundTrip(10_000));
        var longCost = FastestCpuSeconds(() => EncodeRoundTrip(40_000));
        TestContext.Out.WriteLine($"10k letters: {shortCost:F3} s CPU, 40k letters: {longCost:F3} s CPU");
        Assert.That(longCost / shortCost, Is.LessThan(10), $"10k letters: {shortCost:F3} s CPU, 40k letters: {longCost:F3} s CPU");
    }

    private void EncodeRoundTrip(int letters)
    {
        var text = "start " + new string('x', letters) + " end";
        Assert.That(_tokenizer.Decode(_tokenizer.Encode(text)), Is.EqualTo(text));
    }

    private static double FastestCpuSeconds(Action work)
    {
        var fastest = double.MaxValue;
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        for (var run = 0; run < 3; run++)
        {
            process.Refresh();
            var before = process.TotalProcessorTime;
            work();
            process.Refresh();
            fastest = Math.Min(fastest, (process.TotalProcessorTime - before).TotalSeconds);
        }
        return Math.Max(fastest, 1e-3);
    }
}
