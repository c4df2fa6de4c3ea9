namespace EpdBatch.Cli.Commands;

/// <summary>What a progress display shows at one moment of a job.</summary>
internal sealed record JobProgressSnapshot(
    string JobId,
    string State,
    int Total,
    long Encoded,
    long Prefilled,
    long Decoded,
    int Completed,
    int Failed,
    TimeSpan Elapsed)
{
    public int Finished => Completed + Failed;
}
