namespace EpdBatch.Imaging;

/// <summary>
/// Bounds checked before any pixel is decoded: <see cref="MaxPixels"/> against the header's width × height (a small
/// file can declare a huge canvas) and <see cref="MaxEncodedBytes"/> against the input's length.
/// </summary>
public sealed record ImageLimits(long MaxPixels = 50_000_000, long MaxEncodedBytes = 64L * 1024 * 1024);
