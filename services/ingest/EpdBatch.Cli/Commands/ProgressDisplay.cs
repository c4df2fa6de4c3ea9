using Spectre.Console;

namespace EpdBatch.Cli.Commands;

/// <summary>
/// Shows a job's progress per stage. On a terminal: live bars (encoded / prefilled / decoded of the total, items/s,
/// ETA). Elsewhere (CI logs, cron): a plain line every few seconds, no escape codes. Updates come from one polling
/// loop, since Spectre's live display is not thread-safe.
/// </summary>
internal static class ProgressDisplay
{
    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan s_plainEvery = TimeSpan.FromSeconds(5);

    public static bool IsInteractive => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>Polls <paramref name="read"/> until <paramref name="isDone"/> says the job has ended; returns the last snapshot.</summary>
    public static async Task<JobProgressSnapshot> FollowAsync(Func<CancellationToken, Task<JobProgressSnapshot>> read, Func<JobProgressSnapshot, bool> isDone, CancellationToken ct)
    {
        if (IsInteractive)
        {
            JobProgressSnapshot last = null!;
            await AnsiConsole.Progress()
                .AutoClear(false)
                .HideCompleted(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async context =>
                {
                    var encoded = context.AddTask("encoded", maxValue: 1);
                    var prefilled = context.AddTask("prefilled", maxValue: 1);
                    var decoded = context.AddTask("finished", maxValue: 1);
                    while (true)
                    {
                        last = await read(ct);
                        var total = Math.Max(1, last.Total);
                        foreach (var task in new[] { encoded, prefilled, decoded })
                        {
                            task.MaxValue = total;
                        }
                        encoded.Value = Math.Min(total, last.Encoded + last.Failed);
                        prefilled.Value = Math.Min(total, last.Prefilled + last.Failed);
                        decoded.Value = Math.Min(total, last.Finished);
                        decoded.Description = $"finished ({Rate(last)})";
                        if (isDone(last))
                        {
                            break;
                        }
                        await Task.Delay(s_poll, ct);
                    }
                });
            return last;
        }

        TimeSpan? lastPrint = null;
        while (true)
        {
            var snapshot = await read(ct);
            var done = isDone(snapshot);
            if (done || lastPrint is null || snapshot.Elapsed - lastPrint >= s_plainEvery)
            {
                Console.Out.WriteLine(PlainLine(snapshot));
                lastPrint = snapshot.Elapsed;
            }
            if (done)
            {
                return snapshot;
            }
            await Task.Delay(s_poll, ct);
        }
    }

    public static string PlainLine(JobProgressSnapshot s) =>
        $"[{s.Elapsed:hh\\:mm\\:ss}] job {s.JobId} {s.State}: encoded {s.Encoded}/{s.Total}, prefilled {s.Prefilled}/{s.Total}, " +
        $"finished {s.Finished}/{s.Total} ({s.Failed} failed), {Rate(s)}{Eta(s)}";

    private static string Rate(JobProgressSnapshot s) =>
        s.Elapsed.TotalSeconds > 0 ? $"{s.Finished / s.Elapsed.TotalSeconds:F2} items/s" : "- items/s";

    private static string Eta(JobProgressSnapshot s)
    {
        if (s.Finished == 0 || s.Finished >= s.Total)
        {
            return "";
        }
        var left = TimeSpan.FromSeconds(s.Elapsed.TotalSeconds / s.Finished * (s.Total - s.Finished));
        return $", ETA {left:hh\\:mm\\:ss}";
    }
}
