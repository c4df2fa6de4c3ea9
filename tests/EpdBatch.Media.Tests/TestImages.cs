using System.Buffers.Binary;
using System.IO.Compression;

namespace EpdBatch.Media.Tests;

/// <summary>
/// Writes small image files byte by byte for cases SkiaSharp's encoders cannot produce: grayscale and 16-bit PNG,
/// GIF (Skia has no GIF encoder), CMYK JPEG, and headers that declare huge canvases.
/// </summary>
internal static class TestImages
{
    private static readonly uint[] s_crcTable = BuildCrcTable();

    /// <summary>A PNG of one IDAT; <paramref name="pixels"/> holds the rows without filter bytes.</summary>
    public static byte[] Png(int width, int height, byte bitDepth, byte colorType, byte[] pixels)
    {
        var rowBytes = pixels.Length / height;
        using var raw = new MemoryStream();
        for (var y = 0; y < height; y++)
        {
            raw.WriteByte(0);
            raw.Write(pixels, y * rowBytes, rowBytes);
        }

        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            raw.Position = 0;
            raw.CopyTo(zlib);
        }

        using var png = new MemoryStream();
        png.Write(PngSignatureAndHeader(width, height, bitDepth, colorType));
        WriteChunk(png, "IDAT", compressed.ToArray());
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>Signature and IHDR only: what a decompression bomb needs to declare its size.</summary>
    public static byte[] PngSignatureAndHeader(int width, int height, byte bitDepth = 8, byte colorType = 2)
    {
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = bitDepth;
        header[9] = colorType;
        WriteChunk(png, "IHDR", header);
        return png.ToArray();
    }

    /// <summary>
    /// A GIF with a 4-colour palette and one image per frame (indices row-major). The LZW stream sends a clear code
    /// every two pixels so the code size never grows, which keeps the encoder trivial and still standard.
    /// </summary>
    public static byte[] Gif(int width, int height, byte[][] palette, params byte[][] frames)
    {
        using var gif = new MemoryStream();
        gif.Write("GIF89a"u8);
        WriteUInt16(gif, width);
        WriteUInt16(gif, height);
        gif.WriteByte(0x91); // global palette of 2^(1+1) = 4 entries, 2 bits of colour resolution
        gif.WriteByte(0);
        gif.WriteByte(0);
        foreach (var color in palette)
        {
            gif.Write(color);
        }

        foreach (var frame in frames)
        {
            gif.WriteByte(0x2C);
            WriteUInt16(gif, 0);
            WriteUInt16(gif, 0);
            WriteUInt16(gif, width);
            WriteUInt16(gif, height);
            gif.WriteByte(0);
            gif.WriteByte(2); // LZW minimum code size: clear = 4, end = 5, codes of 3 bits

            var bits = new BitWriter();
            for (var i = 0; i < frame.Length; i++)
            {
                if (i % 2 == 0)
                {
                    bits.Write(4, 3);
                }

                bits.Write(frame[i], 3);
            }

            bits.Write(5, 3);
            var data = bits.ToArray();
            for (var offset = 0; offset < data.Length; offset += 255)
            {
                var count = Math.Min(255, data.Length - offset);
                gif.WriteByte((byte)count);
                gif.Write(data, offset, count);
            }

            gif.WriteByte(0);
        }

        gif.WriteByte(0x3B);
        return gif.ToArray();
    }

    /// <summary>
    /// A baseline CMYK JPEG (Adobe APP14, no colour transform, values stored inverted as Photoshop writes them) of
    /// one flat colour. Flat 8×8 blocks need only a DC coefficient, so the encoder is a few lines; with a
    /// quantisation table of ones the decoded samples are exact.
    /// </summary>
    public static byte[] CmykJpeg(int width, int height, byte[] storedCmyk)
    {
        using var jpeg = new MemoryStream();
        jpeg.Write([0xFF, 0xD8]);

        // APP14 "Adobe": version 100, flags 0, 0, transform 0 (CMYK, not YCCK).
        WriteSegment(jpeg, 0xEE, [(byte)'A', (byte)'d', (byte)'o', (byte)'b', (byte)'e', 0, 100, 0, 0, 0, 0, 0]);

        var quantisation = new byte[65];
        Array.Fill(quantisation, (byte)1);
        quantisation[0] = 0; // 8-bit table 0
        WriteSegment(jpeg, 0xDB, quantisation);

        var frame = new List<byte> { 8, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 4 };
        for (byte c = 1; c <= 4; c++)
        {
            frame.AddRange([c, 0x11, 0]);
        }

        WriteSegment(jpeg, 0xC0, [.. frame]);

        // DC table 0: categories 0..11 with 4-bit codes 0000..1011. AC table 0: only end-of-block, code "0".
        var dcTable = new byte[1 + 16 + 12];
        dcTable[0] = 0x00;
        dcTable[1 + 3] = 12;
        for (var i = 0; i < 12; i++)
        {
            dcTable[17 + i] = (byte)i;
        }

        WriteSegment(jpeg, 0xC4, dcTable);
        var acTable = new byte[1 + 16 + 1];
        acTable[0] = 0x10;
        acTable[1] = 1;
        acTable[17] = 0x00;
        WriteSegment(jpeg, 0xC4, acTable);

        var scan = new List<byte> { 4 };
        for (byte c = 1; c <= 4; c++)
        {
            scan.AddRange([c, 0x00]);
        }

        scan.AddRange([0, 63, 0]);
        WriteSegment(jpeg, 0xDA, [.. scan]);

        var bits = new BitWriter(msbFirst: true);
        var previous = new int[4];
        var blocks = ((width + 7) / 8) * ((height + 7) / 8);
        for (var block = 0; block < blocks; block++)
        {
            for (var c = 0; c < 4; c++)
            {
                // A flat block of level-shifted value s has DC coefficient 8 s.
                var dc = 8 * (storedCmyk[c] - 128);
                var diff = dc - previous[c];
                previous[c] = dc;
                var category = diff == 0 ? 0 : 32 - int.LeadingZeroCount(Math.Abs(diff));
                bits.Write(category, 4);
                if (category > 0)
                {
                    bits.Write(diff > 0 ? diff : diff + (1 << category) - 1, category);
                }

                bits.Write(0, 1);
            }
        }

        foreach (var b in bits.ToArray(padWithOnes: true))
        {
            jpeg.WriteByte(b);
            if (b == 0xFF)
            {
                jpeg.WriteByte(0);
            }
        }

        jpeg.Write([0xFF, 0xD9]);
        return jpeg.ToArray();
    }

    private static void WriteSegment(Stream stream, byte marker, byte[] payload)
    {
        stream.WriteByte(0xFF);
        stream.WriteByte(marker);
        stream.WriteByte((byte)((payload.Length + 2) >> 8));
        stream.WriteByte((byte)(payload.Length + 2));
        stream.Write(payload);
    }

    private static void WriteUInt16(Stream stream, int value)
    {
        stream.WriteByte((byte)value);
        stream.WriteByte((byte)(value >> 8));
    }

    private static void WriteChunk(Stream stream, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        stream.Write(length);
        var typeAndData = new byte[4 + data.Length];
        for (var i = 0; i < 4; i++)
        {
            typeAndData[i] = (byte)type[i];
        }

        data.CopyTo(typeAndData, 4);
        stream.Write(typeAndData);
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typeAndData));
        stream.Write(crc);
    }

    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc = s_crcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc ^ 0xFFFFFFFFu;
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (var n = 0u; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }

    /// <summary>Packs variable-width codes: least significant bit first (GIF) or most significant first (JPEG).</summary>
    private sealed class BitWriter(bool msbFirst = false)
    {
        private readonly List<byte> _bytes = [];
        private int _current;
        private int _count;

        public void Write(int value, int width)
        {
            for (var i = 0; i < width; i++)
            {
                var bit = msbFirst ? (value >> (width - 1 - i)) & 1 : (value >> i) & 1;
                _current |= msbFirst ? bit << (7 - _count) : bit << _count;
                if (++_count == 8)
                {
                    _bytes.Add((byte)_current);
                    _current = 0;
                    _count = 0;
                }
            }
        }

        public byte[] ToArray(bool padWithOnes = false)
        {
            var result = new List<byte>(_bytes);
            if (_count > 0)
            {
                var padding = padWithOnes ? (msbFirst ? (1 << (8 - _count)) - 1 : 0xFF << _count) : 0;
                result.Add((byte)(_current | padding));
            }

            return [.. result];
        }
    }
}
