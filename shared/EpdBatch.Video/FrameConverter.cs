namespace EpdBatch.Video;

/// <summary>
/// Turns one decoded frame (packed RGB24, rows top to bottom, no padding) into what the caller keeps. The span is
/// valid only during the call: the sampler reuses its buffer for the next frame.
/// </summary>
public delegate T FrameConverter<out T>(ReadOnlySpan<byte> rgb, int width, int height);
