using EpdBatch.Ingest.Scheduling;

namespace EpdBatch.Ingest.Client;

/// <summary>Schedules as <c>epd schedule</c> manages them: stored in Redis, fired by the ingest service.</summary>
public interface IScheduleClient
{
    /// <summary>Stores a schedule (validated; its <c>CreatedAt</c> is now), replacing one of the same name where <paramref name="replace"/>.</summary>
    /// <exception cref="ArgumentException">The schedule is invalid, or exists and <paramref name="replace"/> is false.</exception>
    Task<ScheduleStatus> AddAsync(ScheduleDefinition schedule, bool replace, CancellationToken ct);

    Task<IReadOnlyList<ScheduleStatus>> ListAsync(CancellationToken ct);

    /// <summary>False where there was no such schedule.</summary>
    Task<bool> RemoveAsync(string name, CancellationToken ct);

    /// <summary>Runs the schedule's job now (outside its slots; the overlap policy does not apply), and records it as the schedule's last run.</summary>
    Task<JobStatus> RunNowAsync(string name, CancellationToken ct);
}
