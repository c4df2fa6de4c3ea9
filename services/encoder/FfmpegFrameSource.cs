using EpdBatch.Imaging;
using EpdBatch.Video;

namespace EpdBatch.Encoder;

/// <summary>
/// Video items through ffmpeg: N frames sampled uniformly over the duration (<see cref="VideoOptions.DefaultFrames"/>,
/// capped), preprocessed for the model as they arrive. Runs on the consumer's task, never on the model thread, so
/// videos of other messages decode while the encoder runs. Limit violations, undecodable files and timeouts end
/// the item with a <see cref="EpdBatch.Pipeline.PermanentItemException"/> (<see cref="VideoErrorCodes"/>).
/// </summary>
public sealed class FfmpegFrameSource(FfmpegFrameSampler sampler) : IMediaFrameSource
{
    public async Task<IReadOnlyList<PixelValues>> SampleAsync(byte[] video, string uri, ImagePreprocessor preprocessor, CancellationToken ct)
    {
        // The encode message names no frame count yet, so every video takes the configured default.
        var sampled = await sampler.SampleAsync(VideoInput.FromBytes(video, uri), frames: null, preprocessor, ct);
        return sampled.Frames;
    }
}
