using System.Text;

namespace EpdBatch.Text;

/// <summary>
/// Renders a single user turn with its media placeholders the way the llava-hf chat templates do, so that the
/// placeholder count in the text matches the media passed to the model.
/// </summary>
public static class PromptTemplate
{
    public const string ImagePlaceholder = "<image>";
    public const string VideoPlaceholder = "<video>";

    private const string ChatMlSystem = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n";

    public static string Render(PromptTemplateKind kind, string userText, int imageCount, int videoCount = 0)
    {
        ArgumentNullException.ThrowIfNull(userText);
        ArgumentOutOfRangeException.ThrowIfNegative(imageCount);
        ArgumentOutOfRangeException.ThrowIfNegative(videoCount);

        var builder = new StringBuilder(userText.Length + 128);
        switch (kind)
        {
            case PromptTemplateKind.Llava15:
                builder.Append("USER: ");
                AppendPlaceholders(builder, imageCount, videoCount);
                builder.Append(userText).Append(" ASSISTANT:");
                break;
            case PromptTemplateKind.ChatMl:
                builder.Append(ChatMlSystem).Append("<|im_start|>user\n");
                AppendPlaceholders(builder, imageCount, videoCount);
                builder.Append(userText).Append("<|im_end|>\n<|im_start|>assistant\n");
                break;
            case PromptTemplateKind.Raw:
                AppendPlaceholders(builder, imageCount, videoCount);
                builder.Append(userText);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown prompt template kind.");
        }

        return builder.ToString();
    }

    /// <summary>
    /// ChatML for Qwen-family text models (<paramref name="modelType"/> such as <c>qwen2</c>, from
    /// <c>text_config.model_type</c>) or tokenizers that know <c>&lt;|im_start|&gt;</c>; llava-1.5 otherwise.
    /// </summary>
    public static PromptTemplateKind Detect(string? modelType, Tokenizer? tokenizer)
    {
        if (modelType is not null && modelType.StartsWith("qwen", StringComparison.OrdinalIgnoreCase))
        {
            return PromptTemplateKind.ChatMl;
        }

        if (tokenizer?.TokenToId("<|im_start|>") is not null)
        {
            return PromptTemplateKind.ChatMl;
        }

        return PromptTemplateKind.Llava15;
    }

    private static void AppendPlaceholders(StringBuilder builder, int imageCount, int videoCount)
    {
        for (var i = 0; i < imageCount; i++)
        {
            builder.Append(ImagePlaceholder).Append('\n');
        }

        for (var i = 0; i < videoCount; i++)
        {
            builder.Append(VideoPlaceholder).Append('\n');
        }
    }
}
