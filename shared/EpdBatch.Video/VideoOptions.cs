using EpdBatch.Pipeline.Options;
using EpdBatch.Video.Internal;

namespace EpdBatch.Video;

/// <summary>
/// Video decoding limits and tools. Section <c>Epd:Video</c> (or <c>Epd__Video__…</c> in the environment); bound and
/// validated at start by <see cref="VideoServiceCollectionExtensions.AddEpdVideo"/>, so a worker with a bad limit
/// or without ffmpeg fails before it takes a message.
/// </summary>
public sealed class VideoOptions : IEpdOptionsSection
{
    public const int MaxFramesLimit = 1024;

    /// <summary>The longest <see cref="DecodeTimeout"/> accepted.</summary>
    public static readonly TimeSpan MaxDecodeTimeout = TimeSpan.FromHours(1);

    public static string SectionName => "Epd:Video";

    /// <summary>Frames sampled from a video whose item names no count.</summary>
    public int DefaultFrames { get; set; } = 8;

    /// <summary>Most frames sampled from one video, whatever the item asks (each frame costs encoder time and tokens).</summary>
    public int MaxFrames { get; set; } = 32;

    /// <summary>Longest video accepted, in seconds; longer ones fail with <c>video_too_long</c>.</summary>
    public double MaxDurationSeconds { get; set; } = 600;

    /// <summary>Widest frame accepted (after rotation); wider ones fail with <c>video_too_large</c>.</summary>
    public int MaxWidth { get; set; } = 4096;

    /// <summary>Tallest frame accepted (after rotation); taller ones fail with <c>video_too_large</c>.</summary>
    public int MaxHeight { get; set; } = 4096;

    /// <summary>Largest file accepted, in bytes; larger ones fail with <c>video_too_large</c> before ffmpeg sees them.</summary>
    public long MaxBytes { get; set; } = 1L << 30;

    /// <summary>Wall-clock limit for probing and decoding one video; past it ffmpeg is killed and the item fails with <c>video_timeout</c>.</summary>
    public TimeSpan DecodeTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Videos decoded at once by one worker; 0 (the default) means one per CPU core.</summary>
    public int MaxConcurrentDecodes { get; set; }

    /// <summary>
    /// Seek points (ffmpeg inputs) one ffmpeg process opens. Each keeps its own decoder, with its reference frames, to
    /// the end of the process (about 30 MB at 1080p, 120 MB at 4K); more seek points than this are split over
    /// successive processes.
    /// </summary>
    public int MaxInputsPerRun { get; set; } = 16;

    /// <summary>
    /// Decoder threads per ffmpeg input. One by default: a worker decodes several videos at once (one per message in
    /// flight), which uses the cores better than frame threads, and a single-threaded decoder holds fewer frames.
    /// </summary>
    public int DecoderThreads { get; set; } = 1;

    /// <summary>
    /// When set, ffmpeg resizes frames to the model's input size (swscale, the preprocessor's filter) instead of
    /// handing over source-size frames for the preprocessor's torch-compatible resize. Faster for large videos; the
    /// pixels then differ slightly from what transformers computes.
    /// </summary>
    public bool ScaleInFfmpeg { get; set; }

    /// <summary>ffmpeg: a file path, or a name looked up on PATH.</summary>
    public string FfmpegPath { get; set; } = "ffmpeg";

    /// <summary>ffprobe: a file path, or a name looked up on PATH.</summary>
    public string FfprobePath { get; set; } = "ffprobe";

    /// <summary>Where each video's private temporary folder is made; the system temp folder where not set.</summary>
    public string? TempDirectory { get; set; }

    /// <summary>Every problem, one line each, naming the setting as <c>&lt;section&gt;:&lt;Name&gt;</c>.</summary>
    public IReadOnlyList<string> GetValidationFailures(string section)
    {
        var failures = new List<string>();
        if (MaxFrames is < 1 or > MaxFramesLimit)
        {
            failures.Add($"{section}:{nameof(MaxFrames)} must be between 1 and {MaxFramesLimit}, not {MaxFrames}.");
        }

        if (DefaultFrames < 1 || DefaultFrames > MaxFrames)
        {
            failures.Add($"{section}:{nameof(DefaultFrames)} must be between 1 and MaxFrames ({MaxFrames}), not {DefaultFrames}.");
        }

        if (!(MaxDurationSeconds > 0) || double.IsInfinity(MaxDurationSeconds))
        {
            failures.Add($"{section}:{nameof(MaxDurationSeconds)} must be a positive number of seconds, not {MaxDurationSeconds}.");
        }

        if (MaxWidth is < 1 or > 65_536)
        {
            failures.Add($"{section}:{nameof(MaxWidth)} must be between 1 and 65536, not {MaxWidth}.");
        }

        if (MaxHeight is < 1 or > 65_536)
        {
            failures.Add($"{section}:{nameof(MaxHeight)} must be between 1 and 65536, not {MaxHeight}.");
        }

        if (MaxBytes < 1)
        {
            failures.Add($"{section}:{nameof(MaxBytes)} must be positive, not {MaxBytes}.");
        }

        if (DecodeTimeout <= TimeSpan.Zero || DecodeTimeout > MaxDecodeTimeout)
        {
            failures.Add($"{section}:{nameof(DecodeTimeout)} must be positive and at most 01:00:00, not {DecodeTimeout}.");
        }

        if (MaxConcurrentDecodes is < 0 or > 256)
        {
            failures.Add($"{section}:{nameof(MaxConcurrentDecodes)} must be between 0 and 256 (0 means one per core), not {MaxConcurrentDecodes}.");
        }

        if (MaxInputsPerRun is < 1 or > 64)
        {
            failures.Add($"{section}:{nameof(MaxInputsPerRun)} must be between 1 and 64, not {MaxInputsPerRun}.");
        }

        if (DecoderThreads is < 0 or > 64)
        {
            failures.Add($"{section}:{nameof(DecoderThreads)} must be between 0 and 64 (0 lets ffmpeg choose), not {DecoderThreads}.");
        }

        if (TempDirectory is not null && !Directory.Exists(TempDirectory))
        {
            failures.Add($"{section}:{nameof(TempDirectory)} names a folder that does not exist: '{TempDirectory}'.");
        }

        return failures;
    }

    /// <summary>
    /// ffmpeg and ffprobe where the settings say (or on PATH). Apart from <see cref="GetValidationFailures"/>: a worker
    /// without them still starts and runs image items; its video items fail with <see cref="VideoErrorCodes.ToolsMissing"/>.
    /// </summary>
    public IReadOnlyList<string> GetToolFailures(string section)
    {
        var failures = new List<string>();
        if (ExecutableLocator.Find(FfmpegPath) is null)
        {
            failures.Add($"{section}:{nameof(FfmpegPath)} '{FfmpegPath}' is not an executable file nor found on PATH: install ffmpeg (Debian: apt-get install ffmpeg) or set the path.");
        }

        if (ExecutableLocator.Find(FfprobePath) is null)
        {
            failures.Add($"{section}:{nameof(FfprobePath)} '{FfprobePath}' is not an executable file nor found on PATH: install ffmpeg (it ships ffprobe) or set the path.");
        }

        return failures;
    }

    /// <summary>
    /// Throws with every problem where the options are invalid or ffmpeg/ffprobe are missing; for callers about to
    /// decode a video without the options pipeline (the CLI's --video, benchmarks).
    /// </summary>
    public void Validate()
    {
        var failures = GetValidationFailures(SectionName).Concat(GetToolFailures(SectionName)).ToList();
        if (failures.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", failures));
        }
    }
}
