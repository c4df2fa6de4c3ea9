namespace EpdBatch.Imaging.Internal;

/// <summary>
/// Antialiased resampling of 8-bit RGB as Pillow's <c>ImagingResample</c> and torch's uint8 antialias kernel (a port
/// of Pillow-SIMD) do it: a separable convolution, horizontal pass then vertical, whose kernel is stretched by the
/// downscale factor, with fixed-point weights and rounding to uint8 after each pass. transformers resizes uint8
/// images this way (torchvision in 5.x, PIL in the slow processors); the two differ only in the weights' precision.
/// </summary>
internal static class Resampler
{
    /// <summary>How the float weights become integers.</summary>
    public enum Precision
    {
        /// <summary>Pillow: 22 fractional bits in 32-bit integers.</summary>
        Pillow,

        /// <summary>
        /// torch's uint8 kernel, which transformers 5.x's default (torchvision) processors run: 16-bit weights with as
        /// many fractional bits as the largest weight allows. Reproduces the shared golden pixel values exactly,
        /// where Pillow's precision is off by one level in about 0.6% of values.
        /// </summary>
        TorchInt16,
    }

    public static double Support(int filter) => filter switch
    {
        1 => 3.0,
        2 => 1.0,
        3 => 2.0,
        4 => 0.5,
        5 => 1.0,
        _ => throw new NotSupportedException($"Resample filter {filter} is not supported."),
    };

    // Sums fit in 32 bits as in Pillow: |weights| add up to under 1.3 × 2^bits, and 255 × 1.3 × 2^22 < 2^31.

    /// <summary>Resizes packed RGB (3 bytes per pixel) from <paramref name="width"/>×<paramref name="height"/>.</summary>
    public static byte[] Resize(byte[] rgb, int width, int height, int outWidth, int outHeight, int filter, Precision precision)
    {
        var needHorizontal = outWidth != width;
        var needVertical = outHeight != height;
        if (!needHorizontal && !needVertical)
        {
            return rgb;
        }

        var horizontal = Coefficients.Compute(width, outWidth, filter, precision);
        var vertical = Coefficients.Compute(height, outHeight, filter, precision);

        var source = rgb;
        var sourceRowOffset = 0;
        if (needHorizontal)
        {
            // Only the rows the vertical pass will read are resampled horizontally.
            var firstRow = vertical.Bounds[0];
            var lastRow = vertical.Bounds[(outHeight - 1) * 2] + vertical.Bounds[((outHeight - 1) * 2) + 1];
            if (!needVertical)
            {
                (firstRow, lastRow) = (0, height);
            }

            source = ResampleHorizontal(rgb, width, firstRow, lastRow, outWidth, horizontal);
            sourceRowOffset = firstRow;
        }

        return needVertical
            ? ResampleVertical(source, outWidth, sourceRowOffset, outHeight, vertical)
            : source;
    }

    private static byte[] ResampleHorizontal(byte[] src, int width, int firstRow, int lastRow, int outWidth, Coefficients c)
    {
        var rows = lastRow - firstRow;
        var dst = GC.AllocateUninitializedArray<byte>(rows * outWidth * 3);
        var half = c.Bits > 0 ? 1 << (c.Bits - 1) : 0;
        for (var y = 0; y < rows; y++)
        {
            var srcRow = (y + firstRow) * width * 3;
            var dstRow = y * outWidth * 3;
            for (var x = 0; x < outWidth; x++)
            {
                var min = c.Bounds[x * 2];
                var count = c.Bounds[(x * 2) + 1];
                var k = c.Weights.AsSpan(x * c.KernelSize, count);
                int s0 = half, s1 = half, s2 = half;
                var pixels = src.AsSpan(srcRow + (min * 3), count * 3);
                for (int i = 0, p = 0; i < k.Length; i++, p += 3)
                {
                    var w = k[i];
                    s0 += pixels[p] * w;
                    s1 += pixels[p + 1] * w;
                    s2 += pixels[p + 2] * w;
                }

                var o = dstRow + (x * 3);
                dst[o] = Clip(s0, c.Bits);
                dst[o + 1] = Clip(s1, c.Bits);
                dst[o + 2] = Clip(s2, c.Bits);
            }
        }

        return dst;
    }

    private static byte[] ResampleVertical(byte[] src, int width, int rowOffset, int outHeight, Coefficients c)
    {
        var dst = GC.AllocateUninitializedArray<byte>(outHeight * width * 3);
        var half = c.Bits > 0 ? 1 << (c.Bits - 1) : 0;
        var stride = width * 3;
        var sums = new int[stride];
        for (var y = 0; y < outHeight; y++)
        {
            var min = c.Bounds[y * 2] - rowOffset;
            var count = c.Bounds[(y * 2) + 1];
            var k = c.Weights.AsSpan(y * c.KernelSize, count);
            Array.Fill(sums, half);

            // Row by row keeps the reads sequential; the arithmetic per pixel is the same as Pillow's.
            for (var i = 0; i < k.Length; i++)
            {
                var w = k[i];
                var row = src.AsSpan((min + i) * stride, stride);
                for (var x = 0; x < stride; x++)
                {
                    sums[x] += row[x] * w;
                }
            }

            var outRow = dst.AsSpan(y * stride, stride);
            for (var x = 0; x < stride; x++)
            {
                outRow[x] = Clip(sums[x], c.Bits);
            }
        }

        return dst;
    }

    private static byte Clip(int sum, int bits)
    {
        var value = sum >> bits;
        return value switch
        {
            < 0 => 0,
            > 255 => 255,
            _ => (byte)value,
        };
    }

    private static double Filter(int filter, double x) => filter switch
    {
        1 => Lanczos(x),
        2 => Bilinear(x),
        3 => Bicubic(x),
        4 => x > -0.5 && x <= 0.5 ? 1.0 : 0.0,
        5 => Hamming(x),
        _ => throw new NotSupportedException($"Resample filter {filter} is not supported."),
    };

    private static double Bicubic(double x)
    {
        // Keys' cubic with a = -0.5, Pillow's choice, which torch's antialiased bicubic copies; written in torch's
        // form so that the double weights, and hence their rounding, are torch's.
        const double a = -0.5;
        x = Math.Abs(x);
        if (x < 1.0)
        {
            return ((((a + 2) * x) - (a + 3)) * x * x) + 1;
        }

        if (x < 2.0)
        {
            return (((((a * x) - (5 * a)) * x) + (8 * a)) * x) - (4 * a);
        }

        return 0.0;
    }

    private static double Bilinear(double x)
    {
        x = Math.Abs(x);
        return x < 1.0 ? 1.0 - x : 0.0;
    }

    private static double Hamming(double x)
    {
        x = Math.Abs(x);
        if (x == 0.0)
        {
            return 1.0;
        }

        if (x >= 1.0)
        {
            return 0.0;
        }

        x *= Math.PI;
        return Math.Sin(x) / x * (0.54f + (0.46f * Math.Cos(x)));
    }

    private static double Lanczos(double x) => x is >= -3.0 and < 3.0 ? Sinc(x) * Sinc(x / 3) : 0.0;

    private static double Sinc(double x)
    {
        if (x == 0.0)
        {
            return 1.0;
        }

        x *= Math.PI;
        return Math.Sin(x) / x;
    }

    /// <summary>Per output pixel: first source index, tap count, and integer weights (Pillow's precompute_coeffs).</summary>
    private sealed class Coefficients
    {
        private Coefficients(int kernelSize, int[] bounds, int[] weights, int bits)
        {
            KernelSize = kernelSize;
            Bounds = bounds;
            Weights = weights;
            Bits = bits;
        }

        public int KernelSize { get; }

        public int[] Bounds { get; }

        public int[] Weights { get; }

        public int Bits { get; }

        public static Coefficients Compute(int inSize, int outSize, int filter, Precision precision)
        {
            var scale = (double)inSize / outSize;
            var filterScale = Math.Max(scale, 1.0);
            var support = Support(filter) * filterScale;
            var kernelSize = ((int)Math.Ceiling(support) * 2) + 1;
            var bounds = new int[outSize * 2];
            var weights = new double[outSize * kernelSize];
            var maxWeight = 0.0;
            for (var xx = 0; xx < outSize; xx++)
            {
                var center = (xx + 0.5) * scale;
                var inverse = 1.0 / filterScale;
                var min = Math.Max((int)(center - support + 0.5), 0);
                var max = Math.Min((int)(center + support + 0.5), inSize) - min;
                max = Math.Clamp(max, 0, kernelSize);
                var total = 0.0;
                var row = weights.AsSpan(xx * kernelSize, kernelSize);
                for (var x = 0; x < max; x++)
                {
                    var w = Filter(filter, (x + min - center + 0.5) * inverse);
                    row[x] = w;
                    total += w;
                }

                for (var x = 0; x < max; x++)
                {
                    if (total != 0.0)
                    {
                        row[x] /= total;
                    }

                    maxWeight = Math.Max(maxWeight, row[x]);
                }

                bounds[xx * 2] = min;
                bounds[(xx * 2) + 1] = max;
            }

            var bits = precision == Precision.Pillow ? 22 : TorchBits(maxWeight);
            var scaleInt = (double)(1 << bits);
            var fixedWeights = new int[weights.Length];
            for (var i = 0; i < weights.Length; i++)
            {
                var v = weights[i] * scaleInt;
                fixedWeights[i] = (int)(v < 0 ? v - 0.5 : v + 0.5);
            }

            return new Coefficients(kernelSize, bounds, fixedWeights, bits);
        }

        private static int TorchBits(double maxWeight)
        {
            var bits = 0;
            for (; bits < 22; bits++)
            {
                var next = (int)(0.5 + (maxWeight * (1 << (bits + 1))));
                if (next >= 1 << 15)
                {
                    break;
                }
            }

            return bits;
        }
    }
}
