namespace EpdBatch.Ingest.Scheduling;

/// <summary>What one replica did with one slot: started <see cref="JobId"/>, or skipped it (<see cref="SkipReason"/>).</summary>
public sealed record ScheduleFiring(string Schedule, DateTimeOffset Slot, string? JobId, string? SkipReason);
