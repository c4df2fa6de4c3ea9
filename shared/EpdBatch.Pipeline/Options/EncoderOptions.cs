namespace EpdBatch.Pipeline.Options;

/// <summary>The encoder: vision tower and projector over the item's media. Section <c>Epd:Encoder</c>; default batch size 8.</summary>
public sealed class EncoderOptions : StageOptions, IEpdOptionsSection
{
    public const int DefaultMaxBatchSize = 8;

    public EncoderOptions()
        : base(DefaultMaxBatchSize)
    {
    }

    public static string SectionName => "Epd:Encoder";
}
