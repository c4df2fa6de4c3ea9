using EpdBatch.Imaging;
using SkiaSharp;

namespace EpdBatch.Media.Tests;

/// <summary>
/// Decoding and rejection. Most images are 56×56 and go through the OneVision video config (resize to 56×56,
/// mean = std = 0.5), which then leaves the pixels untouched, so the uint8 values can be read back exactly.
/// </summary>
[TestFixture]
public sealed class ImageDecodingTests
{
    private const int Size = 56;

    private static readonly byte[][] s_palette = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [250, 250, 250]];

    private ImagePreprocessor _exact = null!;
    private ImagePreprocessor _clip = null!;

    [OneTimeSetUp]
    public void CreatePreprocessors()
    {
        _exact = new ImagePreprocessor(ImageProcessorConfig.FromFolder(Path.Combine(TestPaths.SharedTestData, "onevision-tiny-video"), video: true));
        _clip = new ImagePreprocessor(ImageProcessorConfig.FromFolder(Path.Combine(TestPaths.SharedTestData, "llava-tiny-clip-llama")));
    }

    [Test]
    public void LosslessWebPDecodesExactly()
    {
        using var bitmap = Gradient(Size, Size);
        using var pixmap = bitmap.PeekPixels();
        using var data = pixmap.Encode(new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossless, 100));
        Assert.That(data, Is.Not.Null, "SkiaSharp's WebP encoder is unavailable");
        var bytes = data!.ToArray();

        Assert.That(ImagePreprocessor.Probe(bytes), Is.EqualTo((Size, Size, "webp")));
        AssertPixels(_exact.Preprocess(bytes), (x, y) => GradientColor(x, y), tolerance: 0);
    }

    [Test]
    public void JpegDecodesWithinCompressionError()
    {
        using var bitmap = Gradient(Size, Size);
        var bytes = Encode(bitmap, SKEncodedImageFormat.Jpeg, 100);

        Assert.That(ImagePreprocessor.Probe(bytes), Is.EqualTo((Size, Size, "jpeg")));
        AssertPixels(_exact.Preprocess(bytes), (x, y) => GradientColor(x, y), tolerance: 12);
    }

    [Test]
    public void LargerImagesAreResizedAndCropped()
    {
        using var bitmap = Gradient(300, 200);
        var pixels = _clip.Preprocess(Encode(bitmap, SKEncodedImageFormat.Png, 100));
        Assert.That((pixels.Channels, pixels.Height, pixels.Width), Is.EqualTo((3, 56, 56)));
        Assert.That(pixels.Data, Has.All.InRange(-2.0f, 2.7f));
    }

    [Test]
    public void GifUsesTheFirstFrame()
    {
        var first = new byte[Size * Size];
        var second = new byte[Size * Size];
        for (var i = 0; i < first.Length; i++)
        {
            first[i] = (byte)((i % Size) * 4 / Size);
            second[i] = 2;
        }

        var bytes = TestImages.Gif(Size, Size, s_palette, first, second);

        Assert.That(ImagePreprocessor.Probe(bytes), Is.EqualTo((Size, Size, "gif")));
        AssertPixels(_exact.Preprocess(bytes), (x, _) => Color(s_palette[x * 4 / Size]), tolerance: 0);
    }

    [Test]
    public void GrayscalePngBecomesRgb()
    {
        var gray = new byte[Size * Size];
        for (var i = 0; i < gray.Length; i++)
        {
            gray[i] = (byte)(i * 7);
        }

        var bytes = TestImages.Png(Size, Size, bitDepth: 8, colorType: 0, gray);
        AssertPixels(_exact.Preprocess(bytes), (x, y) => { var g = gray[(y * Size) + x]; return (g, g, g); }, tolerance: 0);
    }

    [Test]
    public void SixteenBitPngIsReducedToEightBits()
    {
        var rgb16 = new byte[Size * Size * 6];
        for (var y = 0; y < Size; y++)
        {
            for (var x = 0; x < Size; x++)
            {
                var (r, g, b) = GradientColor(x, y);
                var o = ((y * Size) + x) * 6;
                foreach (var (value, channel) in new[] { (r, 0), (g, 1), (b, 2) })
                {
                    // v × 257 is the 16-bit value that both PIL (high byte) and exact scaling map back to v.
                    var wide = value * 257;
                    rgb16[o + (channel * 2)] = (byte)(wide >> 8);
                    rgb16[o + (channel * 2) + 1] = (byte)wide;
                }
            }
        }

        var bytes = TestImages.Png(Size, Size, bitDepth: 16, colorType: 2, rgb16);
        AssertPixels(_exact.Preprocess(bytes), (x, y) => GradientColor(x, y), tolerance: 0);
    }

    [Test]
    public void AlphaIsDroppedNotComposited()
    {
        // PIL's convert("RGB") keeps the stored colour of transparent pixels; compositing on white would not.
        var rgba = new byte[Size * Size * 4];
        for (var i = 0; i < Size * Size; i++)
        {
            rgba[(i * 4) + 0] = 200;
            rgba[(i * 4) + 1] = 100;
            rgba[(i * 4) + 2] = 50;
            rgba[(i * 4) + 3] = (byte)(i % 2 == 0 ? 0 : 128);
        }

        var bytes = TestImages.Png(Size, Size, bitDepth: 8, colorType: 6, rgba);
        AssertPixels(_exact.Preprocess(bytes), (_, _) => (200, 100, 50), tolerance: 0);
    }

    [Test]
    public void CmykJpegIsConvertedToRgb()
    {
        // Stored (inverted) C=200 M=100 Y=50 K=255 means ink (55, 155, 205, 0): RGB = stored × K / 255.
        var bytes = TestImages.CmykJpeg(Size, Size, [200, 100, 50, 255]);
        Assert.That(ImagePreprocessor.Probe(bytes), Is.EqualTo((Size, Size, "jpeg")));
        AssertPixels(_exact.Preprocess(bytes), (_, _) => (200, 100, 50), tolerance: 1);

        var darker = TestImages.CmykJpeg(Size, Size, [200, 100, 50, 128]);
        AssertPixels(_exact.Preprocess(darker), (_, _) => (100, 50, 25), tolerance: 1);
    }

    [Test]
    public void BitmapAndRgbOverloadsMatchEncodedInput()
    {
        using var bitmap = Gradient(80, 64);
        var fromFile = _clip.Preprocess(Encode(bitmap, SKEncodedImageFormat.Png, 100));
        var fromBitmap = _clip.Preprocess(bitmap);
        var rgb = new byte[80 * 64 * 3];
        for (var y = 0; y < 64; y++)
        {
            for (var x = 0; x < 80; x++)
            {
                var (r, g, b) = GradientColor(x, y);
                rgb[((y * 80) + x) * 3] = (byte)r;
                rgb[(((y * 80) + x) * 3) + 1] = (byte)g;
                rgb[(((y * 80) + x) * 3) + 2] = (byte)b;
            }
        }

        var fromRgb = _clip.Preprocess(rgb, 80, 64);
        Assert.That(fromBitmap.Data, Is.EqualTo(fromFile.Data));
        Assert.That(fromRgb.Data, Is.EqualTo(fromFile.Data));
    }

    [Test]
    public void TruncatedJpegIsCorrupt()
    {
        using var bitmap = Noise(128, 128);
        var bytes = Encode(bitmap, SKEncodedImageFormat.Jpeg, 90);
        var truncated = bytes.AsSpan(0, bytes.Length / 2).ToArray();

        AssertCode(() => _exact.Preprocess(truncated), MediaException.CorruptImage);
    }

    [Test]
    public void DamagedPngIsCorrupt()
    {
        var bytes = TestImages.PngSignatureAndHeader(Size, Size).Concat(Enumerable.Repeat((byte)0x5A, 200)).ToArray();
        AssertCode(() => _exact.Preprocess(bytes), MediaException.CorruptImage);
    }

    [Test]
    public void TextIsUnsupported()
    {
        var bytes = "This is a caption, not an image.\n"u8.ToArray();
        AssertCode(() => _exact.Preprocess(bytes), MediaException.UnsupportedMediaType);
        AssertCode(() => ImagePreprocessor.Probe(bytes), MediaException.UnsupportedMediaType);
    }

    [Test]
    public void EmptyInputIsEmptyFile()
    {
        AssertCode(() => _exact.Preprocess(ReadOnlySpan<byte>.Empty), MediaException.EmptyFile);
        AssertCode(() => ImagePreprocessor.Probe([]), MediaException.EmptyFile);
    }

    [Test]
    public void HugeDeclaredCanvasIsRejectedFromTheHeader()
    {
        // 30000 × 30000 RGBA would be 3.6 GB; the header alone is 33 bytes and nothing may be allocated for it.
        var bytes = TestImages.PngSignatureAndHeader(30_000, 30_000);
        Assert.That(ImagePreprocessor.Probe(bytes), Is.EqualTo((30_000, 30_000, "png")));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var exception = AssertCode(() => _exact.Preprocess(bytes), MediaException.ImageTooLarge);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(exception.Message, Does.Contain("30000x30000"));
        Assert.That(allocated, Is.LessThan(1_000_000));
    }

    [Test]
    public void LimitsAreConfigurable()
    {
        using var bitmap = Gradient(Size, Size);
        var bytes = Encode(bitmap, SKEncodedImageFormat.Png, 100);
        var config = ImageProcessorConfig.FromFolder(Path.Combine(TestPaths.SharedTestData, "onevision-tiny-video"), video: true);

        AssertCode(() => new ImagePreprocessor(config, new ImageLimits(MaxPixels: (Size * Size) - 1)).Preprocess(bytes), MediaException.ImageTooLarge);
        AssertCode(() => new ImagePreprocessor(config, new ImageLimits(MaxEncodedBytes: 100)).Preprocess(bytes), MediaException.ImageTooLarge);
    }

    [Test]
    public void ConfigExposesOutputSize()
    {
        var clip = ImageProcessorConfig.FromFolder(Path.Combine(TestPaths.SharedTestData, "llava-tiny-clip-llama"));
        var video = ImageProcessorConfig.FromFolder(Path.Combine(TestPaths.SharedTestData, "onevision-tiny-video"), video: true);
        Assert.Multiple(() =>
        {
            Assert.That((clip.OutputHeight, clip.OutputWidth, clip.ShortestEdge, clip.DoCenterCrop), Is.EqualTo((56, 56, (int?)56, true)));
            Assert.That((video.OutputHeight, video.OutputWidth, video.ShortestEdge, video.DoCenterCrop), Is.EqualTo((56, 56, (int?)null, false)));
            Assert.That(clip.ImageMean[0], Is.EqualTo(0.48145466));
        });
    }

    [Test]
    public void MissingConfigNamesTheFilesLookedFor()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"epdbatch-noconfig-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            var exception = Assert.Throws<FileNotFoundException>(() => ImageProcessorConfig.FromFolder(folder, video: true));
            Assert.That(exception!.Message, Does.Contain("video_preprocessor_config.json").And.Contain("preprocessor_config.json"));
        }
        finally
        {
            Directory.Delete(folder);
        }
    }

    private static MediaException AssertCode(TestDelegate action, string code)
    {
        var exception = Assert.Throws<MediaException>(action);
        Assert.That(exception!.Code, Is.EqualTo(code), exception.Message);
        return exception;
    }

    private static (int R, int G, int B) GradientColor(int x, int y) => ((x * 4) % 256, (y * 4) % 256, (x + y) * 2 % 256);

    private static (int R, int G, int B) Color(byte[] rgb) => (rgb[0], rgb[1], rgb[2]);

    private static SKBitmap Gradient(int width, int height)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var (r, g, b) = GradientColor(x, y);
                bitmap.SetPixel(x, y, new SKColor((byte)r, (byte)g, (byte)b));
            }
        }

        return bitmap;
    }

    private static SKBitmap Noise(int width, int height)
    {
        var random = new Random(1234);
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                bitmap.SetPixel(x, y, new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)));
            }
        }

        return bitmap;
    }

    private static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format, int quality)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, quality);
        return data.ToArray();
    }

    /// <summary>Reads uint8 values back from the mean = std = 0.5 normalization and compares them.</summary>
    private static void AssertPixels(PixelValues pixels, Func<int, int, (int R, int G, int B)> expected, int tolerance)
    {
        Assert.That((pixels.Channels, pixels.Height, pixels.Width), Is.EqualTo((3, Size, Size)));
        var plane = Size * Size;
        var worst = 0;
        var where = string.Empty;
        for (var y = 0; y < Size; y++)
        {
            for (var x = 0; x < Size; x++)
            {
                var (r, g, b) = expected(x, y);
                int[] want = [r, g, b];
                for (var c = 0; c < 3; c++)
                {
                    var actual = (int)Math.Round((pixels.Data[(c * plane) + (y * Size) + x] * 127.5) + 127.5);
                    var error = Math.Abs(actual - want[c]);
                    if (error > worst)
                    {
                        worst = error;
                        where = $"({x},{y}) channel {c}: {actual} vs {want[c]}";
                    }
                }
            }
        }

        Assert.That(worst, Is.LessThanOrEqualTo(tolerance), where);
    }
}
