namespace EpdBatch.Model.Loading;

/// <summary>One tensor of a safetensors file: where its bytes lie and what they hold.</summary>
public sealed record SafeTensorsEntry(string Name, string File, string DType, long[] Shape, long Offset, long Length);
