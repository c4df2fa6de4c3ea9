namespace EpdBatch.Imaging;

/// <summary>
/// One preprocessed image: float32, channels-first, row-major (<c>Data[(c * Height + y) * Width + x]</c>), the
/// layout of one image of Hugging Face's <c>pixel_values</c>.
/// </summary>
public sealed record PixelValues(int Channels, int Height, int Width, float[] Data);
