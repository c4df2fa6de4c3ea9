using System.Globalization;
using EpdBatch.Contracts;
using EpdBatch.Ingest.Scheduling;
using EpdBatch.Pipeline.Storage;

namespace EpdBatch.Ingest.Client;

/// <summary><see cref="IScheduleClient"/> over the schedule store, submitting run-now jobs through <see cref="JobClient"/>.</summary>
internal sealed class ScheduleClient(IScheduleStore store, JobClient jobs, TimeProvider time) : IScheduleClient
{
    public async Task<ScheduleStatus> AddAsync(ScheduleDefinition schedule, bool replace, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        // Each run's job is submitted from the stored definition, and needs no SAS token: none is stored.
        schedule = schedule with { ManifestUri = BlobUris.WithoutQuery(schedule.ManifestUri ?? ""), OutputUri = BlobUris.WithoutQuery(schedule.OutputUri ?? "") };
        var failures = schedule.GetValidationFailures();
        if (failures.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", failures));
        }

        var stored = schedule with { CreatedAt = time.GetUtcNow() };
        if (!await store.AddAsync(stored, replace, ct))
        {
            throw new ArgumentException($"A schedule named '{schedule.Name}' exists; remove it first, or replace it.");
        }

        return ScheduleStatus.Of(stored, await store.GetStateAsync(stored.Name, ct), stored.NextOccurrence(stored.CreatedAt));
    }

    public async Task<IReadOnlyList<ScheduleStatus>> ListAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var list = new List<ScheduleStatus>();
        foreach (var schedule in await store.ListAsync(ct))
        {
            list.Add(ScheduleStatus.Of(schedule, await store.GetStateAsync(schedule.Name, ct), schedule.NextOccurrence(now)));
        }

        return list;
    }

    public Task<bool> RemoveAsync(string name, CancellationToken ct) => store.RemoveAsync(name, ct);

    public async Task<JobStatus> RunNowAsync(string name, CancellationToken ct)
    {
        var schedule = await store.GetAsync(name, ct) ?? throw new ArgumentException($"No schedule named '{name}'.");
        var now = time.GetUtcNow();
        var key = string.Create(CultureInfo.InvariantCulture, $"schedule:{schedule.Name}:manual:{now.ToUnixTimeMilliseconds()}");
        var job = await jobs.SubmitAsync(
            new SubmitJob(schedule.ManifestUri, schedule.OutputFor(now), key, schedule.Strict, schedule.DefaultMaxTokens, schedule.Model, schedule.Name, now, now),
            ct);
        await store.SetLastRunAsync(schedule.Name, now, job.JobId, ct);
        return job;
    }
}
