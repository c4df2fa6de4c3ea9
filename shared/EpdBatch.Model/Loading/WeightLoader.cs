using System.Buffers;
using TorchSharp;
using static TorchSharp.torch;

namespace EpdBatch.Model.Loading;

/// <summary>
/// Streams checkpoint tensors into a module's (uninitialised) parameters one at a time: each tensor's bytes are
/// read into a pooled staging buffer and copied to the parameter's device and dtype, so peak memory stays near the
/// model's size rather than twice it.
/// </summary>
internal static class WeightLoader
{
    private const long MaxSliceBytes = 256L * 1024 * 1024;

    public static void Load(nn.Module root, Checkpoint checkpoint)
    {
        using var noGrad = no_grad();
        var streams = new Dictionary<string, FileStream>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, parameter) in root.named_parameters())
            {
                var entry = checkpoint.Get(name);
                var shape = parameter.shape;
                if (!shape.SequenceEqual(entry.Shape))
                {
                    throw new ModelFormatException(
                        $"{checkpoint.Directory}: tensor '{name}' has shape [{string.Join(",", entry.Shape)}], the config implies [{string.Join(",", shape)}]");
                }
                if (!streams.TryGetValue(entry.File, out var stream))
                {
                    stream = new FileStream(entry.File, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
                    streams[entry.File] = stream;
                }
                CopyInto(parameter, entry, stream);
            }
        }
        finally
        {
            foreach (var stream in streams.Values)
            {
                stream.Dispose();
            }
        }
    }

    private static void CopyInto(Tensor parameter, SafeTensorsEntry entry, FileStream stream)
    {
        var sourceType = entry.DType switch
        {
            "F32" => ScalarType.Float32,
            "F16" => ScalarType.Float16,
            "BF16" => ScalarType.BFloat16,
            "F64" => ScalarType.Float64,
            _ => throw new ModelFormatException($"{entry.File}: tensor '{entry.Name}' has dtype {entry.DType}; weights must be F32, F16, BF16 or F64"),
        };
        stream.Seek(entry.Offset, SeekOrigin.Begin);
        // Large tensors (embeddings of big vocabularies) go in slices of rows: a Span cannot pass 2 GiB, and the
        // staging buffer stays small.
        var rows = entry.Shape.Length == 0 ? 1 : entry.Shape[0];
        var rowBytes = rows == 0 ? 0 : entry.Length / rows;
        var rowsPerSlice = rowBytes == 0 ? rows : Math.Max(1, MaxSliceBytes / rowBytes);
        using var scalarView = entry.Shape.Length == 0 ? parameter.view(1) : null;
        var target = scalarView ?? parameter;
        for (long start = 0; start < rows; start += rowsPerSlice)
        {
            var count = Math.Min(rowsPerSlice, rows - start);
            using var slice = target.narrow(0, start, count);
            if (slice.device_type == DeviceType.CPU && slice.dtype == sourceType && slice.is_contiguous())
            {
                // Same dtype on the CPU: read straight into the parameter's memory.
                stream.ReadExactly(slice.bytes);
                continue;
            }
            long[] shape = [count, .. entry.Shape.Skip(1)];
            using var staging = empty(shape, sourceType);
            stream.ReadExactly(staging.bytes);
            slice.copy_(staging);
        }
    }
}
