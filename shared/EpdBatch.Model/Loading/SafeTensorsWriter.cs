using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace EpdBatch.Model.Loading;

/// <summary>Writes safetensors files (and a sharded index), for demo models, benchmarks and tests.</summary>
public static class SafeTensorsWriter
{
    /// <summary>One tensor to write: name, safetensors dtype ("F32", "BF16", ...), shape and raw little-endian bytes.</summary>
    public sealed record Tensor(string Name, string DType, long[] Shape, ReadOnlyMemory<byte> Data);

    public static void Write(string path, IEnumerable<Tensor> tensors)
    {
        var list = tensors.ToList();
        var header = new Dictionary<string, object>(StringComparer.Ordinal) { ["__metadata__"] = new Dictionary<string, string> { ["format"] = "pt" } };
        long offset = 0;
        foreach (var t in list)
        {
            header[t.Name] = new { dtype = t.DType, shape = t.Shape, data_offsets = new[] { offset, offset + t.Data.Length } };
            offset += t.Data.Length;
        }
        var json = JsonSerializer.SerializeToUtf8Bytes(header);
        // Pad the header with spaces so tensor data starts 8-byte aligned, as the reference writer does.
        var padded = (json.Length + 7) / 8 * 8;
        using var stream = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(length, padded);
        stream.Write(length);
        stream.Write(json);
        stream.Write(Encoding.ASCII.GetBytes(new string(' ', padded - json.Length)));
        foreach (var t in list)
        {
            stream.Write(t.Data.Span);
        }
    }

    /// <summary>Writes <c>model-0000N-of-0000M.safetensors</c> shards and <c>model.safetensors.index.json</c>.</summary>
    public static void WriteSharded(string directory, IReadOnlyList<Tensor> tensors, int shards)
    {
        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var perShard = (tensors.Count + shards - 1) / shards;
        for (var s = 0; s < shards; s++)
        {
            var name = $"model-{s + 1:D5}-of-{shards:D5}.safetensors";
            var part = tensors.Skip(s * perShard).Take(perShard).ToList();
            Write(Path.Combine(directory, name), part);
            foreach (var t in part)
            {
                weightMap[t.Name] = name;
            }
        }
        var index = new { metadata = new { total_size = tensors.Sum(t => (long)t.Data.Length) }, weight_map = weightMap };
        File.WriteAllText(Path.Combine(directory, "model.safetensors.index.json"), JsonSerializer.Serialize(index));
    }

    /// <summary>Reads every tensor of a file back as raw bytes (for tools that rewrite checkpoints).</summary>
    public static IReadOnlyList<Tensor> ReadAll(string path)
    {
        var entries = SafeTensorsFile.ReadHeader(path);
        using var stream = File.OpenRead(path);
        var result = new List<Tensor>(entries.Count);
        foreach (var e in entries)
        {
            var data = new byte[e.Length];
            stream.Seek(e.Offset, SeekOrigin.Begin);
            stream.ReadExactly(data);
            result.Add(new Tensor(e.Name, e.DType, e.Shape, data));
        }
        return result;
    }
}
