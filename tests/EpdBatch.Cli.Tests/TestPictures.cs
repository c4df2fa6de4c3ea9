using SkiaSharp;

namespace EpdBatch.Cli.Tests;

internal static class TestPictures
{
    public static byte[] Png(int index)
    {
        using var bitmap = new SKBitmap(72 + index * 8, 64);
        var random = new Random(index);
        for (var y = 0; y < bitmap.Height; y++)
        {
            for (var x = 0; x < bitmap.Width; x++)
            {
                bitmap.SetPixel(x, y, new SKColor((byte)random.Next(256), (byte)(x * 3), (byte)(y * 4)));
            }
        }
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
