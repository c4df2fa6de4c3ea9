using System.Buffers.Binary;

namespace EpdBatch.Imaging.Internal;

/// <summary>
/// Reads width and height from the first bytes of a PNG, JPEG, GIF or WebP file without decoding anything, so
/// size limits can be enforced before a decoder allocates the canvas a header declares.
/// </summary>
internal static class ImageHeader
{
    public const string Png = "png";
    public const string Jpeg = "jpeg";
    public const string Gif = "gif";
    public const string WebP = "webp";

    private static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public static (int Width, int Height, string Format) Read(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            throw new MediaException(MediaException.EmptyFile, "The file is empty (0 bytes).");
        }

        if (data.StartsWith(PngSignature))
        {
            return Checked(ReadPng(data), Png);
        }

        if (data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
        {
            return Checked(ReadJpeg(data), Jpeg);
        }

        if (data.StartsWith("GIF87a"u8) || data.StartsWith("GIF89a"u8))
        {
            return Checked(data.Length >= 10 ? (BinaryPrimitives.ReadUInt16LittleEndian(data[6..]), BinaryPrimitives.ReadUInt16LittleEndian(data[8..])) : null, Gif);
        }

        if (data.Length >= 12 && data.StartsWith("RIFF"u8) && data[8..12].SequenceEqual("WEBP"u8))
        {
            return Checked(ReadWebP(data), WebP);
        }

        throw new MediaException(
            MediaException.UnsupportedMediaType,
            "The file is not a supported image (expected JPEG, PNG, WebP or GIF).");
    }

    private static (int Width, int Height, string Format) Checked((int Width, int Height)? size, string format)
    {
        if (size is not { Width: > 0, Height: > 0 } valid)
        {
            throw new MediaException(MediaException.CorruptImage, $"The {format.ToUpperInvariant()} header is truncated or invalid.");
        }

        return (valid.Width, valid.Height, format);
    }

    private static (int, int)? ReadPng(ReadOnlySpan<byte> data)
    {
        // Signature, then the IHDR chunk: length, "IHDR", width, height (big-endian).
        if (data.Length < 24 || !data[12..16].SequenceEqual("IHDR"u8))
        {
            return null;
        }

        var width = BinaryPrimitives.ReadUInt32BigEndian(data[16..]);
        var height = BinaryPrimitives.ReadUInt32BigEndian(data[20..]);
        return width > int.MaxValue || height > int.MaxValue ? null : ((int)width, (int)height);
    }

    private static (int, int)? ReadJpeg(ReadOnlySpan<byte> data)
    {
        var i = 2;
        while (i < data.Length)
        {
            if (data[i] != 0xFF)
            {
                return null;
            }

            while (i < data.Length && data[i] == 0xFF)
            {
                i++;
            }

            if (i >= data.Length)
            {
                return null;
            }

            var marker = data[i++];
            if (marker is 0x01 or (>= 0xD0 and <= 0xD8))
            {
                continue;
            }

            // Image data or the end before any frame header: no size to read.
            if (marker is 0xD9 or 0xDA || i + 2 > data.Length)
            {
                return null;
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
            if (length < 2)
            {
                return null;
            }

            var isFrameHeader = marker is >= 0xC0 and <= 0xCF && marker is not (0xC4 or 0xC8 or 0xCC);
            if (isFrameHeader)
            {
                // Length, sample precision, height, width.
                return i + 7 <= data.Length
                    ? (BinaryPrimitives.ReadUInt16BigEndian(data[(i + 5)..]), BinaryPrimitives.ReadUInt16BigEndian(data[(i + 3)..]))
                    : null;
            }

            i += length;
        }

        return null;
    }

    private static (int, int)? ReadWebP(ReadOnlySpan<byte> data)
    {
        if (data.Length < 30)
        {
            return data.Length >= 25 && data[12..16].SequenceEqual("VP8L"u8) ? ReadVp8L(data) : null;
        }

        var chunk = data[12..16];
        if (chunk.SequenceEqual("VP8 "u8))
        {
            // Lossy: a 3-byte frame tag, the start code 9D 01 2A, then 14-bit width and height.
            if (data[23] != 0x9D || data[24] != 0x01 || data[25] != 0x2A)
            {
                return null;
            }

            return (BinaryPrimitives.ReadUInt16LittleEndian(data[26..]) & 0x3FFF, BinaryPrimitives.ReadUInt16LittleEndian(data[28..]) & 0x3FFF);
        }

        if (chunk.SequenceEqual("VP8L"u8))
        {
            return ReadVp8L(data);
        }

        if (chunk.SequenceEqual("VP8X"u8))
        {
            // Extended: flags and reserved bytes, then 24-bit canvas width - 1 and height - 1.
            var width = data[24] | (data[25] << 8) | (data[26] << 16);
            var height = data[27] | (data[28] << 8) | (data[29] << 16);
            return (width + 1, height + 1);
        }

        return null;
    }

    private static (int, int)? ReadVp8L(ReadOnlySpan<byte> data)
    {
        // Lossless: signature byte 0x2F, then 14-bit width - 1 and height - 1 packed little-endian.
        if (data[20] != 0x2F)
        {
            return null;
        }

        var bits = BinaryPrimitives.ReadUInt32LittleEndian(data[21..]);
        return ((int)(bits & 0x3FFF) + 1, (int)((bits >> 14) & 0x3FFF) + 1);
    }
}
