using EpdBatch.Imaging;
using EpdBatch.Pipeline;

namespace EpdBatch.Encoder;

/// <summary>Where no video decoder is configured, video items fail with a clear reason.</summary>
internal sealed class UnsupportedVideoSource : IMediaFrameSource
{
    public Task<IReadOnlyList<PixelValues>> SampleAsync(byte[] video, string uri, ImagePreprocessor preprocessor, CancellationToken ct) =>
        throw new PermanentItemException(PipelineStages.Encoder, "unsupported_media_type", $"{uri}: video decoding is not available in this worker");
}
