using SkiaSharp;

namespace EpdBatch.Stages.Tests;

/// <summary>Deterministic test images: gradients and shapes that differ per index, in several sizes and formats.</summary>
internal static class TestImages
{
    public static byte[] Png(int index, int width = 96, int height = 80) => Encode(index, width, height, SKEncodedImageFormat.Png);

    public static byte[] Jpeg(int index, int width = 120, int height = 90) => Encode(index, width, height, SKEncodedImageFormat.Jpeg);

    private static byte[] Encode(int index, int width, int height, SKEncodedImageFormat format)
    {
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        var random = new Random(index);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                bitmap.SetPixel(x, y, new SKColor((byte)((x * 3 + index * 37) & 255), (byte)((y * 5 + index * 11) & 255), (byte)random.Next(256)));
            }
        }
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 90);
        return data.ToArray();
    }
}
