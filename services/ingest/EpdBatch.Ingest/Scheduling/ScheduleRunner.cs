using System.Globalization;
using EpdBatch.Contracts;
using EpdBatch.Ingest.Coordination;
using EpdBatch.Ingest.Jobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EpdBatch.Ingest.Scheduling;

/// <summary>
/// One pass over the schedules: for each, the slots that came due since the last pass (Cronos, in the schedule's
/// time zone) are fired — on time where found within <see cref="IngestOptions.ScheduleMisfireGrace"/> of their time,
/// and of the older, missed ones only the most recent <see cref="ScheduleDefinition.CatchUp"/>. A slot fires on the
/// replica that claims it first (Redis SET NX), and its job's idempotency key names the slot, so even a claim lost
/// to a crash cannot make a second job. Time comes from the injected <see cref="TimeProvider"/>.
/// </summary>
internal sealed class ScheduleRunner(
    IScheduleStore schedules,
    IJobStore jobs,
    JobCoordinator coordinator,
    IOptions<IngestOptions> options,
    TimeProvider time,
    ILogger<ScheduleRunner> logger)
{
    /// <summary>How far back a schedule looks after a long outage; older slots are not even counted.</summary>
    internal static readonly TimeSpan MaxLookBack = TimeSpan.FromDays(31);

    private static readonly TimeSpan s_claimTtl = TimeSpan.FromDays(40);

    public async Task<IReadOnlyList<ScheduleFiring>> TickAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var firings = new List<ScheduleFiring>();
        foreach (var schedule in await schedules.ListAsync(ct))
        {
            try
            {
                firings.AddRange(await TickAsync(schedule, now, ct));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Schedule {Schedule}: checking its slots failed; it is checked again at the next pass", schedule.Name);
            }
        }

        return firings;
    }

    private async Task<List<ScheduleFiring>> TickAsync(ScheduleDefinition schedule, DateTimeOffset now, CancellationToken ct)
    {
        var firings = new List<ScheduleFiring>();
        var state = await schedules.GetStateAsync(schedule.Name, ct);
        var from = state.CheckedUpTo ?? schedule.CreatedAt;
        if (from < now - MaxLookBack)
        {
            from = now - MaxLookBack;
        }

        if (from >= now)
        {
            return firings;
        }

        var grace = options.Value.ScheduleMisfireGrace;
        var due = schedule.Occurrences(from, now).ToList();
        var missed = due.Where(slot => now - slot > grace).ToList();
        var onTime = due.Where(slot => now - slot <= grace);
        var caughtUp = missed.Skip(Math.Max(0, missed.Count - schedule.CatchUp));
        if (missed.Count > schedule.CatchUp)
        {
            logger.LogWarning("Schedule {Schedule}: {Skipped} missed slots not run (catch-up {CatchUp}), the last at {Slot:O}",
                schedule.Name, missed.Count - schedule.CatchUp, schedule.CatchUp, missed[^(schedule.CatchUp + 1)]);
        }

        foreach (var slot in caughtUp.Concat(onTime))
        {
            if (await FireAsync(schedule, slot, now, ct) is { } firing)
            {
                firings.Add(firing);
            }
        }

        await schedules.AdvanceCheckedAsync(schedule.Name, now, ct);
        return firings;
    }

    private async Task<ScheduleFiring?> FireAsync(ScheduleDefinition schedule, DateTimeOffset slot, DateTimeOffset now, CancellationToken ct)
    {
        if (!await schedules.TryClaimSlotAsync(schedule, slot, s_claimTtl, ct))
        {
            return null;
        }

        var state = await schedules.GetStateAsync(schedule.Name, ct);
        var previous = state.LastJobId is { } lastId ? await jobs.GetAsync(lastId, ct) : null;
        if (previous is not null && !JobStateMachine.IsTerminal(previous.State))
        {
            switch (schedule.Overlap)
            {
                case OverlapPolicy.Forbid:
                    var reason = $"the run of {state.LastSlot:O}, job {previous.Id}, is still {JobStateMachine.Name(previous.State)} (overlap: forbid)";
                    await schedules.SetLastSkippedAsync(schedule.Name, slot, reason, ct);
                    logger.LogWarning("Schedule {Schedule}: slot {Slot:O} skipped: {Reason}", schedule.Name, slot, reason);
                    return new ScheduleFiring(schedule.Name, slot, null, reason);
                case OverlapPolicy.Replace:
                    var cancel = await coordinator.CancelAsync(previous.Id, ct);
                    logger.LogInformation("Schedule {Schedule}: slot {Slot:O} replaces job {JobId} ({Outcome})",
                        schedule.Name, slot, previous.Id, cancel.Accepted?.State ?? cancel.Rejected?.Code);
                    break;
            }
        }

        var key = string.Create(CultureInfo.InvariantCulture, $"schedule:{schedule.Name}:{schedule.CreatedAt.ToUnixTimeMilliseconds()}:{slot.ToUnixTimeMilliseconds()}");
        var submitted = await coordinator.SubmitAsync(
            new SubmitJob(schedule.ManifestUri, schedule.OutputFor(slot), key, schedule.Strict, schedule.DefaultMaxTokens, schedule.Model, schedule.Name, slot, now),
            ct);
        if (submitted.Accepted is not { } accepted)
        {
            var reason = $"the ingest refused the job: {submitted.Rejected!.Code}: {submitted.Rejected.Message}";
            await schedules.SetLastSkippedAsync(schedule.Name, slot, reason, ct);
            logger.LogError("Schedule {Schedule}: slot {Slot:O} not run: {Reason}", schedule.Name, slot, reason);
            return new ScheduleFiring(schedule.Name, slot, null, reason);
        }

        await schedules.SetLastRunAsync(schedule.Name, slot, accepted.JobId, ct);
        logger.LogInformation("Schedule {Schedule}: slot {Slot:O} runs as job {JobId}", schedule.Name, slot, accepted.JobId);
        return new ScheduleFiring(schedule.Name, slot, accepted.JobId, null);
    }
}
