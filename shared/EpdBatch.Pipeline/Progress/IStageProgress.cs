namespace EpdBatch.Pipeline.Progress;

/// <summary>
/// Per-job counters of items that left each stage (encoded, prefilled, decoded), for live progress displays. Best
/// effort: a lost increment shows as slower progress, never as a lost item (the ingest's terminal states are the
/// record of truth).
/// </summary>
public interface IStageProgress
{
    Task IncrementAsync(string jobId, string stage, CancellationToken ct);

    /// <summary>Items that left each stage so far, by stage name (<see cref="PipelineStages"/>).</summary>
    Task<IReadOnlyDictionary<string, long>> GetAsync(string jobId, CancellationToken ct);

    Task DeleteAsync(string jobId, CancellationToken ct);
}
