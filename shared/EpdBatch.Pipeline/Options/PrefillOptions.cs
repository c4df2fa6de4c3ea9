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
}
