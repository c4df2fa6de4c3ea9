using EpdBatch.Text;

namespace EpdBatch.Media.Tests;

[TestFixture]
public sealed class PromptTemplateTests
{
    [Test]
    public void RendersLlava15()
    {
        Assert.Multiple(() =>
        {
            Assert.That(PromptTemplate.Render(PromptTemplateKind.Llava15, "What is shown?", 1), Is.EqualTo("USER: <image>\nWhat is shown? ASSISTANT:"));
            Assert.That(PromptTemplate.Render(PromptTemplateKind.Llava15, "Compare.", 2, 1), Is.EqualTo("USER: <image>\n<image>\n<video>\nCompare. ASSISTANT:"));
            Assert.That(PromptTemplate.Render(PromptTemplateKind.Llava15, "Hi", 0), Is.EqualTo("USER: Hi ASSISTANT:"));
        });
    }

    [Test]
    public void RendersChatMl()
    {
        Assert.That(
            PromptTemplate.Render(PromptTemplateKind.ChatMl, "Describe the video.", 0, 1),
            Is.EqualTo("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n<video>\nDescribe the video.<|im_end|>\n<|im_start|>assistant\n"));
    }

    [Test]
    public void RendersRaw()
    {
        Assert.That(PromptTemplate.Render(PromptTemplateKind.Raw, "text", 1, 2), Is.EqualTo("<image>\n<video>\n<video>\ntext"));
    }

    [Test]
    public void DetectsFromModelTypeOrTokenizer()
    {
        Assert.Multiple(() =>
        {
            Assert.That(PromptTemplate.Detect("qwen2", null), Is.EqualTo(PromptTemplateKind.ChatMl));
            Assert.That(PromptTemplate.Detect("llama", null), Is.EqualTo(PromptTemplateKind.Llava15));
            Assert.That(PromptTemplate.Detect(null, null), Is.EqualTo(PromptTemplateKind.Llava15));
            Assert.That(PromptTemplate.Detect("llama", QwenTokenizerSource.Tokenizer), Is.EqualTo(PromptTemplateKind.ChatMl));
        });
    }

    [Test]
    public void RejectsNegativeCounts()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PromptTemplate.Render(PromptTemplateKind.Raw, "x", -1));
    }
}
