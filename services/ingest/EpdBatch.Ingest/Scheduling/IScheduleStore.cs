namespace EpdBatch.Ingest.Scheduling;

/// <summary>Schedules and their progress: Redis (<see cref="RedisScheduleStore"/>) so that every ingest replica sees them, or in-process.</summary>
public interface IScheduleStore
{
    /// <summary>Stores the schedule; false where one of that name exists and <paramref name="replace"/> is false.</summary>
    Task<bool> AddAsync(ScheduleDefinition schedule, bool replace, CancellationToken ct);

    Task<bool> RemoveAsync(string name, CancellationToken ct);

    Task<ScheduleDefinition?> GetAsync(string name, CancellationToken ct);

    Task<IReadOnlyList<ScheduleDefinition>> ListAsync(CancellationToken ct);

    Task<ScheduleState> GetStateAsync(string name, CancellationToken ct);

    /// <summary>Claims a slot of the schedule for this replica, once across every replica (a Redis SET NX per schedule and slot).</summary>
    Task<bool> TryClaimSlotAsync(ScheduleDefinition schedule, DateTimeOffset slot, TimeSpan ttl, CancellationToken ct);

    /// <summary>Slots up to <paramref name="upTo"/> are decided; never moves back.</summary>
    Task AdvanceCheckedAsync(string name, DateTimeOffset upTo, CancellationToken ct);

    Task SetLastRunAsync(string name, DateTimeOffset slot, string jobId, CancellationToken ct);

    Task SetLastSkippedAsync(string name, DateTimeOffset slot, string reason, CancellationToken ct);
}
