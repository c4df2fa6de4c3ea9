using System.Buffers.Binary;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace EpdBatch.Model.Stages;

/// <summary>
/// A prefilled sequence's KV cache as bytes, so a decode worker in another process can continue it. The header
/// (model fingerprint, dtype, layers, KV heads, head dim, length) lets the importer refuse a snapshot that another
/// model or dtype made. Body: for each layer, keys then values, each [kv_heads, length, head_dim].
/// </summary>
public sealed class KvSnapshot
{
    private const uint Magic = 0x31564B45; // "EKV1"
    private const int HeaderSize = 4 + 1 + 3 + 4 + 4 + 4 + 4 + 16;

    private readonly byte[] _bytes;

    private KvSnapshot(byte[] bytes, string fingerprint, ScalarType dtype, int layers, int kvHeads, int headDim, int length)
    {
        _bytes = bytes;
        Fingerprint = fingerprint;
        DType = dtype;
        Layers = layers;
        KvHeads = kvHeads;
        HeadDim = headDim;
        Length = length;
    }

    public string Fingerprint { get; }
    public int Layers { get; }
    public int KvHeads { get; }
    public int HeadDim { get; }

    /// <summary>Positions held: the prompt's length.</summary>
    public int Length { get; }

    internal ScalarType DType { get; }

    public string DTypeName => TensorDType.Name(DType);

    public ReadOnlyMemory<byte> Bytes => _bytes;

    private long PlaneBytes => (long)KvHeads * Length * HeadDim * TensorDType.Size(DType);

    /// <param name="keys">per layer [kv_heads, length, head_dim]</param>
    /// <param name="values">per layer [kv_heads, length, head_dim]</param>
    internal static KvSnapshot FromTensors(IReadOnlyList<Tensor> keys, IReadOnlyList<Tensor> values, string fingerprint)
    {
        var first = keys[0];
        var (kvHeads, length, headDim) = ((int)first.shape[0], (int)first.shape[1], (int)first.shape[2]);
        var plane = (long)kvHeads * length * headDim * TensorDType.Size(first.dtype);
        var bytes = new byte[HeaderSize + plane * 2 * keys.Count];
        WriteHeader(bytes, fingerprint, first.dtype, keys.Count, kvHeads, headDim, length);
        var offset = (long)HeaderSize;
        for (var layer = 0; layer < keys.Count; layer++)
        {
            foreach (var t in (ReadOnlySpan<Tensor>)[keys[layer], values[layer]])
            {
                // Each intermediate is held: outside a dispose scope nothing else keeps it alive during the next call.
                using var contiguous = t.contiguous();
                using var host = contiguous.cpu();
                host.bytes.CopyTo(bytes.AsSpan((int)offset, (int)plane));
                offset += plane;
            }
        }
        return new KvSnapshot(bytes, fingerprint, first.dtype, keys.Count, kvHeads, headDim, length);
    }

    public static KvSnapshot FromBytes(byte[] bytes)
    {
        if (bytes.Length < HeaderSize || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic)
        {
            throw new InvalidDataException("not a KV snapshot (bad header)");
        }
        var span = bytes.AsSpan();
        var dtype = TensorDType.FromCode(span[4]);
        var layers = BinaryPrimitives.ReadInt32LittleEndian(span[8..]);
        var kvHeads = BinaryPrimitives.ReadInt32LittleEndian(span[12..]);
        var headDim = BinaryPrimitives.ReadInt32LittleEndian(span[16..]);
        var length = BinaryPrimitives.ReadInt32LittleEndian(span[20..]);
        var fingerprint = Encoding.ASCII.GetString(span[24..40]).TrimEnd();
        var snapshot = new KvSnapshot(bytes, fingerprint, dtype, layers, kvHeads, headDim, length);
        var expected = HeaderSize + snapshot.PlaneBytes * 2 * layers;
        if (layers <= 0 || kvHeads <= 0 || headDim <= 0 || length <= 0 || bytes.Length != expected)
        {
            throw new InvalidDataException($"KV snapshot holds {bytes.Length} bytes, its header says {expected}");
        }
        return snapshot;
    }

    /// <summary>[kv_heads, length, head_dim] of one layer's keys (plane 0) or values (plane 1), on the CPU.</summary>
    internal Tensor Plane(int layer, int plane)
    {
        var t = empty([KvHeads, Length, HeadDim], DType);
        var offset = HeaderSize + PlaneBytes * (2L * layer + plane);
        _bytes.AsSpan((int)offset, (int)PlaneBytes).CopyTo(t.bytes);
        return t;
    }

    private static void WriteHeader(Span<byte> span, string fingerprint, ScalarType dtype, int layers, int kvHeads, int headDim, int length)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
        span[4] = TensorDType.Code(dtype);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], layers);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], kvHeads);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], headDim);
        BinaryPrimitives.WriteInt32LittleEndian(span[20..], length);
        Encoding.ASCII.GetBytes(fingerprint.PadRight(16).AsSpan(0, 16), span[24..40]);
    }
}
