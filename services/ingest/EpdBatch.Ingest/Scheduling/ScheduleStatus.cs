namespace EpdBatch.Ingest.Scheduling;

/// <summary>A schedule as <c>epd schedule list</c> shows it.</summary>
public sealed record ScheduleStatus(ScheduleDefinition Definition, ScheduleState State, DateTimeOffset? NextRun);
