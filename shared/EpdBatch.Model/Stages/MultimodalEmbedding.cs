using System.Buffers.Binary;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace EpdBatch.Model.Stages;

/// <summary>
/// The multimodal tokens of one image or video — the projector's output, [tokens, hidden] — as the encoder hands
/// them to prefill. Held as raw bytes in the model's dtype, with a header that names the model they belong to.
/// </summary>
public sealed class MultimodalEmbedding
{
    private const uint Magic = 0x314D4D45; // "EMM1"
    private const int HeaderSize = 4 + 1 + 1 + 2 + 4 + 4 + 16;

    internal MultimodalEmbedding(MultimodalKind kind, int tokens, int hidden, ScalarType dtype, string fingerprint, byte[] data)
    {
        Kind = kind;
        Tokens = tokens;
        Hidden = hidden;
        DType = dtype;
        Fingerprint = fingerprint;
        Data = data;
    }

    public MultimodalKind Kind { get; }
    public int Tokens { get; }
    public int Hidden { get; }
    public string Fingerprint { get; }
    internal ScalarType DType { get; }
    internal byte[] Data { get; }

    public string DTypeName => TensorDType.Name(DType);

    /// <summary>The values as float32, row-major [tokens, hidden].</summary>
    public float[] ToFloatArray()
    {
        using var t = ToTensor(CPU);
        using var f = t.to(ScalarType.Float32);
        return f.data<float>().ToArray();
    }

    /// <summary>[tokens, hidden] on the device, in the stored dtype.</summary>
    internal Tensor ToTensor(Device device)
    {
        var host = empty([Tokens, Hidden], DType);
        Data.AsSpan().CopyTo(host.bytes);
        if (device.type == DeviceType.CPU)
        {
            return host;
        }
        using (host)
        {
            return host.to(device);
        }
    }

    internal static MultimodalEmbedding FromTensor(MultimodalKind kind, Tensor tokens, string fingerprint)
    {
        using var contiguous = tokens.contiguous();
        using var host = contiguous.cpu();
        return new MultimodalEmbedding(kind, (int)tokens.shape[0], (int)tokens.shape[1], tokens.dtype, fingerprint, host.bytes.ToArray());
    }

    public byte[] ToBytes()
    {
        var bytes = new byte[HeaderSize + Data.Length];
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
        span[4] = (byte)Kind;
        span[5] = TensorDType.Code(DType);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], Tokens);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], Hidden);
        Encoding.ASCII.GetBytes(Fingerprint.PadRight(16).AsSpan(0, 16), span[16..32]);
        Data.CopyTo(span[HeaderSize..]);
        return bytes;
    }

    /// <summary>The token count from a blob's header, without copying its data.</summary>
    public static int PeekTokenCount(ReadOnlySpan<byte> bytes) =>
        bytes.Length >= HeaderSize && BinaryPrimitives.ReadUInt32LittleEndian(bytes) == Magic
            ? BinaryPrimitives.ReadInt32LittleEndian(bytes[8..])
            : throw new InvalidDataException("not a multimodal-token blob (bad header)");

    public static MultimodalEmbedding FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderSize || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic)
        {
            throw new InvalidDataException("not a multimodal-token blob (bad header)");
        }
        var kind = (MultimodalKind)bytes[4];
        var dtype = TensorDType.FromCode(bytes[5]);
        var tokens = BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]);
        var hidden = BinaryPrimitives.ReadInt32LittleEndian(bytes[12..]);
        var fingerprint = Encoding.ASCII.GetString(bytes[16..32]).TrimEnd();
        var expected = (long)tokens * hidden * TensorDType.Size(dtype);
        if (tokens < 0 || hidden <= 0 || bytes.Length - HeaderSize != expected)
        {
            throw new InvalidDataException($"multimodal-token blob holds {bytes.Length - HeaderSize} bytes, its header says {expected}");
        }
        return new MultimodalEmbedding(kind, tokens, hidden, dtype, fingerprint, bytes[HeaderSize..].ToArray());
    }
}
