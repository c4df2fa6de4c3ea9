namespace EpdBatch.Cli.Commands;

/// <summary>Local media helpers for the one-process verbs.</summary>
internal static class MediaFiles
{
    public static IReadOnlyList<string> SampleVideoFrames(string videoPath, int? frames) =>
        throw new NotSupportedException($"{videoPath}: --video needs the ffmpeg frame sampler (not built yet); pass sampled frames with --video-frames");
}
