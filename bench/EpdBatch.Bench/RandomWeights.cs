using System.Buffers.Binary;
using System.Text;

namespace EpdBatch.Bench;

/// <summary>
/// Deterministic random weights: N(0, 0.02) for weights, biases and embeddings, 1 + N(0, 0.02) for norm scales, so
/// activations stay finite through every layer. Each tensor's values depend only on the seed and the tensor's name
/// (never on thread count or tensor order), and chunks are generated in parallel straight into the bytes that are
/// written, so no full-size float32 copy of a bf16 model is ever made.
/// </summary>
internal static class RandomWeights
{
    public const double Std = 0.02;
    private const int ChunkElements = 1 << 16;

    public static byte[] Generate(TensorSpec spec, ulong seed, bool bf16)
    {
        var elements = spec.Elements;
        var size = bf16 ? 2 : 4;
        if (elements * size > Array.MaxLength)
        {
            throw new InvalidOperationException($"tensor {spec.Name} is {elements * size} bytes; one tensor must stay under 2 GiB");
        }
        var data = new byte[elements * size];
        var tensorSeed = Mix(seed ^ Fnv1a(spec.Name));
        var offset = spec.IsNormScale ? 1f : 0f;
        var chunks = (int)((elements + ChunkElements - 1) / ChunkElements);
        Parallel.For(0, chunks, chunk =>
        {
            var state = Mix(tensorSeed + (ulong)chunk * 0x9E3779B97F4A7C15UL);
            var start = (long)chunk * ChunkElements;
            var count = (int)Math.Min(ChunkElements, elements - start);
            var span = data.AsSpan((int)(start * size), count * size);
            for (var j = 0; j < count; j += 2)
            {
                // Box–Muller in single precision (ample for random weights): two normals from two uniforms.
                var bits = Next(ref state);
                var u1 = ((uint)(bits >> 40) + 1) * (1f / (1 << 24));          // (0, 1]
                var u2 = (uint)(bits & 0xFFFFFF) * (1f / (1 << 24));           // [0, 1)
                var radius = (float)Std * MathF.Sqrt(-2f * MathF.Log(u1));
                var (sin, cos) = MathF.SinCos(2f * MathF.PI * u2);
                Write(span, j, size, offset + radius * cos);
                if (j + 1 < count)
                {
                    Write(span, j + 1, size, offset + radius * sin);
                }
            }
        });
        return data;
    }

    private static void Write(Span<byte> span, int index, int size, float value)
    {
        if (size == 4)
        {
            BinaryPrimitives.WriteSingleLittleEndian(span[(index * 4)..], value);
            return;
        }
        // float32 → bfloat16, round to nearest even (values here are never NaN).
        var bits = BitConverter.SingleToUInt32Bits(value);
        bits += 0x7FFF + ((bits >> 16) & 1);
        BinaryPrimitives.WriteUInt16LittleEndian(span[(index * 2)..], (ushort)(bits >> 16));
    }

    private static ulong Next(ref ulong state)
    {
        state += 0x9E3779B97F4A7C15UL;
        return Mix(state);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong Fnv1a(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }
        return hash;
    }
}
