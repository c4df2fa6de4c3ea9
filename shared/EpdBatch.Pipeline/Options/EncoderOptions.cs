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

    /// <summary>
    /// How long the tokens of a media file stay cached under its content hash, so an image or video that comes again
    /// (in the same job or the next) is not encoded twice; zero turns the cache off. Kept short by default: every
    /// distinct file of a job takes an entry, so Redis holds about (files per minute × this) of them.
    /// </summary>
    public TimeSpan MediaCacheTtl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Most pixels (width × height, as the header declares them) an image may have; more fail with <c>image_too_large</c> before any pixel is decoded.</summary>
    public long MaxImagePixels { get; set; } = 50_000_000;

    /// <summary>Largest image file, in bytes; a larger blob fails with <c>image_too_large</c> before it is downloaded.</summary>
    public long MaxImageBytes { get; set; } = 64L * 1024 * 1024;

    private protected override void AddStageValidationFailures(string section, List<string> failures)
    {
        if (MediaCacheTtl < TimeSpan.Zero || MediaCacheTtl > TimeSpan.FromDays(1))
        {
            failures.Add($"{section}:{nameof(MediaCacheTtl)} must be between 00:00:00 (off) and 1.00:00:00, not {MediaCacheTtl}.");
        }

        if (MaxImagePixels is < 1 or > 1_000_000_000)
        {
            failures.Add($"{section}:{nameof(MaxImagePixels)} must be between 1 and 1000000000, not {MaxImagePixels}.");
        }

        if (MaxImageBytes is < 1 or > int.MaxValue)
        {
            failures.Add($"{section}:{nameof(MaxImageBytes)} must be between 1 and {int.MaxValue}, not {MaxImageBytes}.");
        }
    }
}
