using EpdBatch.Imaging;
using EpdBatch.Model.Stages;

namespace EpdBatch.Encoder;

/// <summary>One media item for the encoder's model thread: an image (one frame) or a video's sampled frames.</summary>
public sealed record EncodeWork(MultimodalKind Kind, IReadOnlyList<PixelValues> Frames);
