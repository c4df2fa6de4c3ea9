using System.Runtime.InteropServices;
using EpdBatch.Imaging.Internal;
using SkiaSharp;

namespace EpdBatch.Imaging;

/// <summary>
/// Turns an encoded image into the <see cref="PixelValues"/> a Hugging Face image processor would give for it:
/// decode (JPEG, PNG, WebP, GIF first frame) → RGB as PIL's <c>convert("RGB")</c> (alpha dropped, no EXIF
/// rotation, no ICC conversion) → antialiased resize on uint8 with torch's fixed-point weights (what transformers
/// 5.x runs by default; Pillow's filter with Pillow's rounding for filters torch lacks) → center crop (torchvision's
/// anchor) → rescale and normalize in float32. Immutable and thread-safe.
/// </summary>
public sealed class ImagePreprocessor
{
    private const int Channels = 3;

    private readonly ImageProcessorConfig _config;
    private readonly ImageLimits _limits;

    // The input is uint8, so rescale+normalize is a 256-entry table per channel, computed once.
    private readonly float[][] _lookup;

    public ImagePreprocessor(ImageProcessorConfig config, ImageLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        _config = config;
        _limits = limits ?? new ImageLimits();
        _lookup = BuildLookup(config);
    }

    public ImageProcessorConfig Config => _config;

    /// <summary>Reads format and size from the header only; throws <see cref="MediaException"/> for unusable input.</summary>
    public static (int Width, int Height, string Format) Probe(ReadOnlySpan<byte> encodedImage) => ImageHeader.Read(encodedImage);

    /// <summary>Decodes and preprocesses one encoded image.</summary>
    /// <exception cref="MediaException">Empty, unsupported, corrupt or too large input.</exception>
    public PixelValues Preprocess(ReadOnlySpan<byte> encodedImage)
    {
        if (encodedImage.IsEmpty)
        {
            throw new MediaException(MediaException.EmptyFile, "The file is empty (0 bytes).");
        }

        if (encodedImage.Length > _limits.MaxEncodedBytes)
        {
            throw new MediaException(
                MediaException.ImageTooLarge,
                $"The file is {encodedImage.Length} bytes; the limit is {_limits.MaxEncodedBytes}.");
        }

        var (width, height, format) = ImageHeader.Read(encodedImage);
        CheckPixelCount(width, height);
        var rgb = Decode(encodedImage, format, out width, out height);
        return PreprocessRgb(rgb, width, height);
    }

    /// <summary>Preprocesses a decoded bitmap of any color type; alpha is dropped, not composited.</summary>
    public PixelValues Preprocess(SKBitmap bitmap)
    {
        ArgumentNullException.ThrowIfNull(bitmap);
        CheckPixelCount(bitmap.Width, bitmap.Height);
        var info = new SKImageInfo(bitmap.Width, bitmap.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var rgba = GC.AllocateUninitializedArray<byte>(info.BytesSize);
        var handle = GCHandle.Alloc(rgba, GCHandleType.Pinned);
        try
        {
            using var pixmap = bitmap.PeekPixels()
                ?? throw new ArgumentException("The bitmap has no pixels in memory.", nameof(bitmap));
            if (!pixmap.ReadPixels(info, handle.AddrOfPinnedObject(), info.RowBytes))
            {
                throw new ArgumentException($"Cannot convert a {bitmap.ColorType} bitmap to RGBA.", nameof(bitmap));
            }
        }
        finally
        {
            handle.Free();
        }

        return PreprocessRgb(DropAlpha(rgba), bitmap.Width, bitmap.Height);
    }

    /// <summary>Preprocesses packed 8-bit RGB pixels (3 bytes per pixel, rows top to bottom, no padding).</summary>
    public PixelValues Preprocess(ReadOnlySpan<byte> rgb, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        CheckPixelCount(width, height);
        if (rgb.Length != (long)width * height * Channels)
        {
            throw new ArgumentException($"Expected {(long)width * height * Channels} bytes of RGB for {width}x{height}, got {rgb.Length}.", nameof(rgb));
        }

        return PreprocessRgb(rgb.ToArray(), width, height);
    }

    private static float[][] BuildLookup(ImageProcessorConfig config)
    {
        var lookup = new float[Channels][];
        for (var c = 0; c < Channels; c++)
        {
            lookup[c] = new float[256];

            // Same float32 arithmetic as transformers' fast processors, which fold the rescale factor into mean and
            // std ((x - mean/f) / (std/f)) when both steps are on.
            var mean = (float)config.ImageMean[c];
            var std = (float)config.ImageStd[c];
            var factor = (float)config.RescaleFactor;
            var foldedMean = (float)(mean * (float)(1.0 / config.RescaleFactor));
            var foldedStd = (float)(std * (float)(1.0 / config.RescaleFactor));
            for (var v = 0; v < 256; v++)
            {
                lookup[c][v] = (config.DoRescale, config.DoNormalize) switch
                {
                    (true, true) => (v - foldedMean) / foldedStd,
                    (true, false) => v * factor,
                    (false, true) => (v - mean) / std,
                    _ => v,
                };
            }
        }

        return lookup;
    }

    private static byte[] DropAlpha(byte[] rgba)
    {
        // In place: the write index never passes the read index.
        var pixels = rgba.Length / 4;
        for (int i = 0, o = 0; i < pixels; i++, o += 3)
        {
            var p = i * 4;
            rgba[o] = rgba[p];
            rgba[o + 1] = rgba[p + 1];
            rgba[o + 2] = rgba[p + 2];
        }

        return rgba;
    }

    private static (int Width, int Height) ShortestEdgeSize(int width, int height, int shortestEdge)
    {
        // transformers' get_resize_output_image_size(default_to_square=False): the long side is truncated, not rounded.
        var (shortSide, longSide) = width <= height ? (width, height) : (height, width);
        var newLong = Math.Max(1, (int)((double)shortestEdge * longSide / shortSide));
        return width <= height ? (shortestEdge, newLong) : (newLong, shortestEdge);
    }

    private void CheckPixelCount(int width, int height)
    {
        var pixels = (long)width * height;
        if (pixels > _limits.MaxPixels)
        {
            throw new MediaException(
                MediaException.ImageTooLarge,
                $"The image is {width}x{height} ({pixels} pixels); the limit is {_limits.MaxPixels} pixels.");
        }
    }

    private byte[] Decode(ReadOnlySpan<byte> encoded, string format, out int width, out int height)
    {
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data);
        if (codec is null)
        {
            throw new MediaException(MediaException.CorruptImage, $"The {format.ToUpperInvariant()} file cannot be decoded.");
        }

        width = codec.Info.Width;
        height = codec.Info.Height;
        CheckPixelCount(width, height);

        // Unpremultiplied, with no color space: the stored RGB values exactly, as PIL gives them.
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var result = codec.GetPixels(info, out var rgba);
        if (result != SKCodecResult.Success)
        {
            var reason = result == SKCodecResult.IncompleteInput ? "the file is truncated" : result.ToString();
            throw new MediaException(MediaException.CorruptImage, $"The {format.ToUpperInvariant()} image cannot be decoded: {reason}.");
        }

        return DropAlpha(rgba);
    }

    private PixelValues PreprocessRgb(byte[] rgb, int width, int height)
    {
        if (_config.DoResize)
        {
            var (targetWidth, targetHeight) = _config.ShortestEdge is int shortestEdge
                ? ShortestEdgeSize(width, height, shortestEdge)
                : (_config.SizeWidth!.Value, _config.SizeHeight!.Value);
            if (targetWidth != width || targetHeight != height)
            {
                // torch implements only bilinear and bicubic antialiasing; the other PIL filters keep Pillow's rounding.
                var precision = _config.Resample is 2 or 3 ? Resampler.Precision.TorchInt16 : Resampler.Precision.Pillow;
                rgb = Resampler.Resize(rgb, width, height, targetWidth, targetHeight, _config.Resample, precision);
                (width, height) = (targetWidth, targetHeight);
            }
        }

        var outHeight = _config.OutputHeight;
        var outWidth = _config.OutputWidth;
        var (top, left) = (0, 0);
        if (_config.DoCenterCrop)
        {
            (top, left) = CropOrigin(width, height, outWidth, outHeight);
        }
        else if (outWidth != width || outHeight != height)
        {
            throw new InvalidOperationException($"Internal error: {width}x{height} after resize, expected {outWidth}x{outHeight}.");
        }

        var plane = outHeight * outWidth;
        var output = new float[Channels * plane];
        for (var y = 0; y < outHeight; y++)
        {
            var sy = y + top;
            for (var x = 0; x < outWidth; x++)
            {
                var sx = x + left;

                // Outside the image only when the crop is larger than the image: torchvision pads with 0.
                var inside = (uint)sy < (uint)height && (uint)sx < (uint)width;
                var p = ((sy * width) + sx) * Channels;
                var o = (y * outWidth) + x;
                for (var c = 0; c < Channels; c++)
                {
                    output[(c * plane) + o] = _lookup[c][inside ? rgb[p + c] : 0];
                }
            }
        }

        return new PixelValues(Channels, outHeight, outWidth, output);
    }

    /// <summary>
    /// Top-left of the crop in image coordinates (negative where torchvision would pad). transformers' fast
    /// processors use torchvision's <c>center_crop</c>: <c>round((size - crop) / 2)</c> with round-half-to-even, and
    /// padding of <c>(crop - size) // 2</c> before a crop.
    /// </summary>
    private static (int Top, int Left) CropOrigin(int width, int height, int cropWidth, int cropHeight)
    {
        return (Anchor(height, cropHeight), Anchor(width, cropWidth));

        static int Anchor(int size, int crop)
        {
            var pad = crop > size ? (crop - size) / 2 : 0;
            var padded = crop > size ? crop : size;
            var origin = (int)Math.Round((padded - crop) / 2.0, MidpointRounding.ToEven);
            return origin - pad;
        }
    }
}
