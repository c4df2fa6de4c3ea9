using EpdBatch.Text;

namespace EpdBatch.Media.Tests;

[TestFixture]
public sealed class TokenizerJsonWriterTests
{
    private static readonly string[] s_specials = ["<s>", "</s>", "<image>", "<video>"];

    [Test]
    public void WrittenFileLoadsWithFixedIds()
    {
        var path = Path.Combine(Path.GetTempPath(), $"epdbatch-writer-{Guid.NewGuid():N}.json");
        try
        {
            TokenizerJsonWriter.WriteByteLevel(path, s_specials);
            var tokenizer = Tokenizer.Load(path);

            Assert.Multiple(() =>
            {
                Assert.That(tokenizer.VocabSize, Is.EqualTo(TokenizerJsonWriter.ByteLevelVocabSize(s_specials.Length)).And.EqualTo(260));
                Assert.That(tokenizer.TokenToId("<image>"), Is.EqualTo(258));
                Assert.That(tokenizer.TokenToId("<video>"), Is.EqualTo(259));
                Assert.That(tokenizer.BosTokenId, Is.EqualTo(256));
                Assert.That(tokenizer.EosTokenId, Is.EqualTo(257));

                // Without merges every UTF-8 byte is its own id: "é" is C3 A9.
                Assert.That(tokenizer.Encode("hé <image>"), Is.EqualTo(new[] { 'h', 0xC3, 0xA9, ' ', 258 }));
                Assert.That(tokenizer.Encode("A", addSpecialTokens: true), Is.EqualTo(new[] { 256, 'A' }));
                Assert.That(tokenizer.Decode(tokenizer.Encode("USER: <image>\nWhat is 👍? ASSISTANT:")), Is.EqualTo("USER: <image>\nWhat is 👍? ASSISTANT:"));
                Assert.That(tokenizer.Decode([256, 'h', 'i', 257], skipSpecialTokens: true), Is.EqualTo("hi"));
            });
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void WithoutBosNoSpecialTokensAreAdded()
    {
        var path = Path.Combine(Path.GetTempPath(), $"epdbatch-writer-{Guid.NewGuid():N}.json");
        try
        {
            TokenizerJsonWriter.WriteByteLevel(path, ["<|im_start|>", "<|im_end|>", "<image>"]);
            var tokenizer = Tokenizer.Load(path);
            Assert.That(tokenizer.Encode("A", addSpecialTokens: true), Is.EqualTo(new[] { (int)'A' }));
            Assert.That(PromptTemplate.Detect(null, tokenizer), Is.EqualTo(PromptTemplateKind.ChatMl));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void RejectsDuplicateSpecialTokens()
    {
        Assert.Throws<ArgumentException>(() => TokenizerJsonWriter.WriteByteLevel(Path.GetTempFileName(), ["<s>", "<s>"]));
    }
}
