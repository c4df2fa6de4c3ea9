using EpdBatch.Imaging;
using EpdBatch.Pipeline;
using EpdBatch.Video;
using Microsoft.Extensions.Options;

namespace EpdBatch.Cli.Commands;

/// <summary>Local media helpers for the one-process verbs.</summary>
internal static class MediaFiles
{
    /// <summary>
    /// The request's video as preprocessed frames: <c>--video-frames</c> as given, in order; <c>--video</c> sampled
    /// with ffmpeg. Null when the request has no video.
    /// </summary>
    public static IReadOnlyList<PixelValues>? VideoFrames(InferRequest request)
    {
        if (request.VideoFrames is null && request.Video is null)
        {
            return null;
        }

        var preprocessor = new ImagePreprocessor(ImageProcessorConfig.FromFolder(request.ModelDirectory, video: true));
        return request.VideoFrames is { } paths
            ? paths.Select(path => preprocessor.Preprocess(ReadFile(path))).ToArray()
            : SampleVideo(request.Video!, request.Frames, preprocessor);
    }

    /// <summary>
    /// Samples a local video as the encoder stage does (frames uniformly over the duration, the pipeline's default
    /// count and limits, capped at <see cref="VideoOptions.MaxFrames"/>) and preprocesses each frame for the model.
    /// ffmpeg reads the file where it is: no temporary copy.
    /// </summary>
    public static IReadOnlyList<PixelValues> SampleVideo(string videoPath, int? frames, ImagePreprocessor preprocessor, CancellationToken ct = default)
    {
        if (!File.Exists(videoPath))
        {
            throw new FileNotFoundException($"{videoPath}: no such file", videoPath);
        }

        using var sampler = new FfmpegFrameSampler(Options.Create(new VideoOptions()));
        try
        {
            // The verbs are synchronous; nothing here runs under a synchronization context, so blocking is safe.
            return sampler.SampleAsync(VideoInput.FromFile(videoPath), frames, preprocessor, ct).GetAwaiter().GetResult().Frames;
        }
        catch (PermanentItemException ex)
        {
            // Bad input for the CLI, with the pipeline's reason code (video_too_long, corrupt_video, ...).
            throw new MediaException(ex.Code, $"{ex.Message} [{ex.Code}]", ex);
        }
    }

    private static byte[] ReadFile(string path) =>
        File.Exists(path) ? File.ReadAllBytes(path) : throw new FileNotFoundException($"{path}: no such file");
}
