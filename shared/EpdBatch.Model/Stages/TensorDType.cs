using static TorchSharp.torch;

namespace EpdBatch.Model.Stages;

/// <summary>Stable on-the-wire codes for the dtypes that cross process boundaries.</summary>
internal static class TensorDType
{
    public static byte Code(ScalarType type) => type switch
    {
        ScalarType.Float32 => 1,
        ScalarType.BFloat16 => 2,
        ScalarType.Float16 => 3,
        _ => throw new NotSupportedException($"dtype {type} cannot be exported"),
    };

    public static ScalarType FromCode(byte code) => code switch
    {
        1 => ScalarType.Float32,
        2 => ScalarType.BFloat16,
        3 => ScalarType.Float16,
        _ => throw new InvalidDataException($"unknown dtype code {code}"),
    };

    public static int Size(ScalarType type) => type == ScalarType.Float32 ? 4 : 2;

    public static string Name(ScalarType type) => type switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float16 => "float16",
        _ => type.ToString(),
    };
}
