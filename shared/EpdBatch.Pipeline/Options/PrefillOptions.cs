namespace EpdBatch.Pipeline.Options;

/// <summary>Prefill: the language model over the prompt and the multimodal tokens. Section <c>Epd:Prefill</c>; default batch size 4.</summary>
public sealed class PrefillOptions : StageOptions, IEpdOptionsSection
{
    public const int DefaultMaxBatchSize = 4;

    public PrefillOptions()
        : base(DefaultMaxBatchSize)
    {
    }

    public static string SectionName => "Epd:Prefill";

    /// <summary>
    /// Most prompt tokens (text and media tokens together) an item may have; 0 (the default) means the model's
    /// context. Whatever this says, prompt tokens + max_tokens must fit the context, or the item fails with
    /// <c>prompt_too_long</c>.
    /// </summary>
    public int MaxPromptTokens { get; set; }

    private protected override void AddStageValidationFailures(string section, List<string> failures)
    {
        if (MaxPromptTokens is < 0 or > 10_000_000)
        {
            failures.Add($"{section}:{nameof(MaxPromptTokens)} must be between 0 and 10000000 (0 means the model's context), not {MaxPromptTokens}.");
        }
    }
}
