namespace EpdBatch.Planning.Search;

/// <summary>Which colocated layouts the planner searches as baselines.</summary>
[Flags]
public enum ColocatedFamilies
{
    None = 0,

    /// <summary>Every GPU runs encode, prefill and decode (a monolithic server per GPU).</summary>
    Monolithic = 1,

    /// <summary>GPUs that encode and prefill, and separate decoders (prefill–decode disaggregation, the encoder bundled with prefill).</summary>
    EncodePrefill = 2,

    /// <summary>Separate encoders, and GPUs that prefill and decode.</summary>
    PrefillDecode = 4,

    All = Monolithic | EncodePrefill | PrefillDecode,
}
