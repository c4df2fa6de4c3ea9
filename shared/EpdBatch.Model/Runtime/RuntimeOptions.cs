using TorchSharp;

namespace EpdBatch.Model.Runtime;

/// <summary>Where and in what precision a stage runs its model.</summary>
public sealed record RuntimeOptions
{
    /// <summary>"cpu", "cuda" or "cuda:N".</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>float32, bfloat16 or float16; empty chooses float32 on CPU and bfloat16 on CUDA.</summary>
    public string? DType { get; init; }

    public static RuntimeOptions Cpu { get; } = new();

    internal torch.Device TorchDevice => new(Device);

    internal torch.ScalarType TorchDType => ResolveDType(DType, Device);

    internal static torch.ScalarType ResolveDType(string? dtype, string device) => (dtype ?? "").ToLowerInvariant() switch
    {
        "" or "auto" => device.StartsWith("cuda", StringComparison.Ordinal) ? torch.ScalarType.BFloat16 : torch.ScalarType.Float32,
        "float32" or "fp32" or "f32" => torch.ScalarType.Float32,
        "bfloat16" or "bf16" => torch.ScalarType.BFloat16,
        "float16" or "fp16" or "f16" or "half" => torch.ScalarType.Float16,
        _ => throw new ArgumentException($"dtype '{dtype}' is not supported (float32, bfloat16, float16)"),
    };
}
