namespace EpdBatch.Ingest.Scheduling;

/// <summary>Where a schedule is: slots up to <see cref="CheckedUpTo"/> have been decided; its last run and last skipped slot.</summary>
public sealed record ScheduleState(DateTimeOffset? CheckedUpTo, DateTimeOffset? LastSlot, string? LastJobId, DateTimeOffset? LastSkippedSlot, string? LastSkipReason);
