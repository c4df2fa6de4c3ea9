namespace EpdBatch.Pipeline.Options;

/// <summary>The decoder: continuous batching of token generation. Section <c>Epd:Decoder</c>; default batch size 16.</summary>
public sealed class DecoderOptions : StageOptions, IEpdOptionsSection
{
    public const int DefaultMaxBatchSize = 16;

    public DecoderOptions()
        : base(DefaultMaxBatchSize)
    {
    }

    public static string SectionName => "Epd:Decoder";
}
