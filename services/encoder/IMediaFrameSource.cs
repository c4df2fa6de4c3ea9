using EpdBatch.Imaging;

namespace EpdBatch.Encoder;

/// <summary>Turns a video's bytes into its sampled, preprocessed frames.</summary>
public interface IMediaFrameSource
{
    /// <summary>
    /// Everything besides the video's bytes and the model that decides the frames a request for
    /// <paramref name="frames"/> gives: the frame count after the cap, the schedule, where the resize happens and the
    /// preprocessing. Part of the token cache key, so that another count or setting never reuses cached tokens.
    /// </summary>
    string Describe(int? frames, ImagePreprocessor preprocessor);

    /// <summary>Samples <paramref name="frames"/> frames (the configured default where null, capped) and preprocesses them.</summary>
    Task<IReadOnlyList<PixelValues>> SampleAsync(byte[] video, string uri, int? frames, ImagePreprocessor preprocessor, CancellationToken ct);
}
