namespace EpdBatch.PipelineBench;

/// <summary>One job of the load test: its size, how it went, and what the deployment held while it ran.</summary>
internal sealed record LoadResult(
    int Items,
    string JobId,
    int Completed,
    int Failed,
    double CliWallSeconds,
    double JobWallSeconds,
    double ItemsPerSecond,
    int MaxInFlight,
    int RedisDatabase,
    ResourcePeaks Peaks,
    IReadOnlyDictionary<string, long> KeysAfter,
    MachineLoad Machine);
