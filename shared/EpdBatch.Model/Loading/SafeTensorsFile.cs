using System.Buffers.Binary;
using System.Text.Json;

namespace EpdBatch.Model.Loading;

/// <summary>
/// Reads the header of a safetensors file: an 8-byte little-endian length, a JSON table of tensors, then their
/// bytes. Only the header is read here; tensor bytes are streamed one at a time by the loader.
/// </summary>
public static class SafeTensorsFile
{
    private const long MaxHeaderBytes = 100L * 1024 * 1024;

    public static IReadOnlyList<SafeTensorsEntry> ReadHeader(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> lengthBytes = stackalloc byte[8];
        if (stream.ReadAtLeast(lengthBytes, 8, throwOnEndOfStream: false) != 8)
        {
            throw new ModelFormatException($"{path}: too short to be a safetensors file");
        }
        var headerLength = BinaryPrimitives.ReadInt64LittleEndian(lengthBytes);
        if (headerLength <= 0 || headerLength > MaxHeaderBytes || headerLength > stream.Length - 8)
        {
            throw new ModelFormatException($"{path}: invalid safetensors header length {headerLength}");
        }
        var header = new byte[headerLength];
        stream.ReadExactly(header);
        var dataStart = 8 + headerLength;
        var entries = new List<SafeTensorsEntry>();
        using var document = JsonDocument.Parse(header);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (property.Name == "__metadata__")
            {
                continue;
            }
            var value = property.Value;
            var dtype = value.GetProperty("dtype").GetString() ?? "";
            var shape = value.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray();
            var offsets = value.GetProperty("data_offsets").EnumerateArray().Select(x => x.GetInt64()).ToArray();
            var length = offsets[1] - offsets[0];
            var expected = shape.Aggregate(1L, (a, b) => a * b) * ElementSize(dtype, property.Name, path);
            if (length != expected || dataStart + offsets[1] > stream.Length)
            {
                throw new ModelFormatException($"{path}: tensor '{property.Name}' has {length} bytes, expected {expected} for {dtype}[{string.Join(",", shape)}]");
            }
            entries.Add(new SafeTensorsEntry(property.Name, path, dtype, shape, dataStart + offsets[0], length));
        }
        return entries;
    }

    public static int ElementSize(string dtype, string tensor, string path) => dtype switch
    {
        "F32" or "I32" or "U32" => 4,
        "F16" or "BF16" or "I16" => 2,
        "F64" or "I64" or "U64" => 8,
        "U8" or "I8" or "BOOL" => 1,
        _ => throw new ModelFormatException($"{path}: tensor '{tensor}' has unsupported dtype {dtype}"),
    };
}
