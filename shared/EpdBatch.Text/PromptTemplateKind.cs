namespace EpdBatch.Text;

/// <summary>How a user turn is wrapped for the model.</summary>
public enum PromptTemplateKind
{
    /// <summary>llava-1.5: <c>USER: &lt;image&gt;\n... ASSISTANT:</c>.</summary>
    Llava15,

    /// <summary>ChatML as used by Qwen and LLaVA-OneVision, with the default system prompt.</summary>
    ChatMl,

    /// <summary>Media placeholders followed by the text, nothing else.</summary>
    Raw,
}
