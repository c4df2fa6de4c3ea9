namespace EpdBatch.Planning.Simulation;

/// <summary>The stages one GPU runs. One stage is a disaggregated replica; several time-share the GPU (colocated).</summary>
[Flags]
public enum StageRoles
{
    None = 0,
    Encode = 1,
    Prefill = 2,
    Decode = 4,
    EncodePrefill = Encode | Prefill,
    PrefillDecode = Prefill | Decode,
    All = Encode | Prefill | Decode,
}
