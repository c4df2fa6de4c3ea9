using System.Globalization;
using EpdBatch.Imaging;
using EpdBatch.Video;

namespace EpdBatch.Encoder;

/// <summary>
/// Video items through ffmpeg: N frames sampled uniformly over the duration (the item's count, or
/// <see cref="VideoOptions.DefaultFrames"/>; capped at <see cref="VideoOptions.MaxFrames"/>), preprocessed for the model
/// as they arrive. Runs on the consumer's task, never on the model thread, so videos of other messages decode while
/// the encoder runs. Limit violations, undecodable files and timeouts end the item with a
/// <see cref="EpdBatch.Pipeline.PermanentItemException"/> (<see cref="VideoErrorCodes"/>).
/// </summary>
public sealed class FfmpegFrameSource(FfmpegFrameSampler sampler) : IMediaFrameSource
{
    public string Describe(int? frames, ImagePreprocessor preprocessor)
    {
        ArgumentNullException.ThrowIfNull(preprocessor);
        var resize = sampler.Options.ScaleInFfmpeg ? "ffmpeg" : "preprocessor";
        return string.Create(CultureInfo.InvariantCulture,
            $"frames={sampler.FrameCount(frames)};schedule={FrameSchedule.Name};resize={resize};preprocess={preprocessor.Config.Fingerprint}");
    }

    public async Task<IReadOnlyList<PixelValues>> SampleAsync(byte[] video, string uri, int? frames, ImagePreprocessor preprocessor, CancellationToken ct)
    {
        var sampled = await sampler.SampleAsync(VideoInput.FromBytes(video, uri), frames, preprocessor, ct);
        return sampled.Frames;
    }
}
