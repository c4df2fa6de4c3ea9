using EpdBatch.Model.Config;
using EpdBatch.Model.Stages;
using EpdBatch.Text;

namespace EpdBatch.Model.Tests;

/// <summary>
/// The prompt ids a stage builds: the chat template around the text and ONE placeholder id per media item, both when
/// the tokenizer knows <c>&lt;image&gt;</c>/<c>&lt;video&gt;</c> as added tokens and when it does not (a checkpoint paired
/// with a stock tokenizer, e.g. Qwen's), where the text is split around the placeholders.
/// </summary>
public sealed class PromptEncoderTests
{
    [TestCase(1, 0)]
    [TestCase(3, 0)]
    [TestCase(0, 1)]
    [TestCase(2, 1)]
    public void Placeholders_match_the_media_whether_or_not_the_tokenizer_knows_them(int images, int videos)
    {
        var config = LlavaConfig.Load(TestData.Folder("onevision-tiny-video"));
        foreach (var knowsPlaceholders in new[] { true, false })
        {
            var tokenizer = ByteLevelTokenizer(knowsPlaceholders ? ["<|im_start|>", "<|im_end|>", "<image>", "<video>"] : ["<|im_start|>", "<|im_end|>"]);
            var encoder = new PromptEncoder(config, tokenizer, PromptTemplateKind.ChatMl);

            var ids = encoder.Encode("What is in <the> picture?", images, videos);

            Assert.Multiple(() =>
            {
                Assert.That(ids.Count(id => id == config.ImageTokenId), Is.EqualTo(images), $"image placeholders (tokenizer knows them: {knowsPlaceholders})");
                Assert.That(ids.Count(id => id == config.VideoTokenId), Is.EqualTo(videos), $"video placeholders (tokenizer knows them: {knowsPlaceholders})");
                var text = tokenizer.Decode(ids.Where(id => id != config.ImageTokenId && id != config.VideoTokenId).ToArray());
                var expected = PromptTemplate.Render(PromptTemplateKind.ChatMl, "What is in <the> picture?", images, videos)
                    .Replace(PromptTemplate.ImagePlaceholder, "", StringComparison.Ordinal)
                    .Replace(PromptTemplate.VideoPlaceholder, "", StringComparison.Ordinal);
                Assert.That(text, Is.EqualTo(expected), $"the text around the placeholders (tokenizer knows them: {knowsPlaceholders})");
            });
        }
    }

    private static Tokenizer ByteLevelTokenizer(IReadOnlyList<string> specialTokens)
    {
        var path = Path.Combine(Path.GetTempPath(), $"epd-tokenizer-{Guid.NewGuid():N}.json");
        try
        {
            TokenizerJsonWriter.WriteByteLevel(path, specialTokens);
            return Tokenizer.Load(path);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
