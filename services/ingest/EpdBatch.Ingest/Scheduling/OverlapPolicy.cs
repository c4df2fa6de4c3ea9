namespace EpdBatch.Ingest.Scheduling;

/// <summary>What a schedule does when its slot comes while the run of an earlier slot is still active.</summary>
public enum OverlapPolicy
{
    /// <summary>Skip this slot; the active run goes on (the default).</summary>
    Forbid,

    /// <summary>Cancel the active run, then start this slot's.</summary>
    Replace,

    /// <summary>Start this slot's run beside the active one.</summary>
    Allow,
}
