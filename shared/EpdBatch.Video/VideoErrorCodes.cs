namespace EpdBatch.Video;

/// <summary>
/// The <see cref="EpdBatch.Pipeline.PermanentItemException.Code"/> of a video that cannot be used. Stable: they reach
/// errors.jsonl and users' scripts.
/// </summary>
public static class VideoErrorCodes
{
    /// <summary>Longer than <see cref="VideoOptions.MaxDurationSeconds"/> (or more frames than any such video could have).</summary>
    public const string TooLong = "video_too_long";

    /// <summary>Wider or taller than <see cref="VideoOptions.MaxWidth"/>/<see cref="VideoOptions.MaxHeight"/>, or a file over <see cref="VideoOptions.MaxBytes"/>.</summary>
    public const string TooLarge = "video_too_large";

    /// <summary>A readable media file with no video stream (audio only, or only a cover picture).</summary>
    public const string NoVideoStream = "no_video_stream";

    /// <summary>This encoder has no ffmpeg/ffprobe (<see cref="VideoOptions.FfmpegPath"/>, <see cref="VideoOptions.FfprobePath"/>), so it cannot decode videos; its image items run.</summary>
    public const string ToolsMissing = "video_unsupported";

    /// <summary>Not a media file ffmpeg can read, or its frames cannot be decoded.</summary>
    public const string Corrupt = "corrupt_video";

    /// <summary>Probing and decoding took longer than <see cref="VideoOptions.DecodeTimeout"/>.</summary>
    public const string Timeout = "video_timeout";
}
