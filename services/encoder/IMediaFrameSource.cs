using EpdBatch.Imaging;

namespace EpdBatch.Encoder;

/// <summary>Turns a video's bytes into its sampled, preprocessed frames.</summary>
public interface IMediaFrameSource
{
    Task<IReadOnlyList<PixelValues>> SampleAsync(byte[] video, string uri, ImagePreprocessor preprocessor, CancellationToken ct);
}
