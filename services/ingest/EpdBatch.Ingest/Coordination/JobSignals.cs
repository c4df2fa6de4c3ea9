using System.Collections.Concurrent;

namespace EpdBatch.Ingest.Coordination;

/// <summary>
/// Wake-ups inside one ingest process: a recorded outcome wakes its job's driver, a new job wakes the supervisor,
/// so that neither waits out a whole poll. Across replicas the poll is the fallback.
/// </summary>
internal sealed class JobSignals : IDisposable
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _jobs = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _supervisor = new(0, 1);

    public void WakeJob(string jobId)
    {
        if (_jobs.TryGetValue(jobId, out var signal))
        {
            Release(signal);
        }
    }

    public void WakeSupervisor() => Release(_supervisor);

    /// <summary>Waits for a wake-up of the job or the timeout, whichever comes first.</summary>
    public async Task WaitJobAsync(string jobId, TimeSpan timeout, CancellationToken ct) =>
        await _jobs.GetOrAdd(jobId, static _ => new SemaphoreSlim(0, 1)).WaitAsync(timeout, ct);

    public async Task WaitSupervisorAsync(TimeSpan timeout, CancellationToken ct) => await _supervisor.WaitAsync(timeout, ct);

    /// <summary>The job's driver is gone from this process.</summary>
    public void Forget(string jobId)
    {
        if (_jobs.TryRemove(jobId, out var signal))
        {
            signal.Dispose();
        }
    }

    public void Dispose()
    {
        _supervisor.Dispose();
        foreach (var signal in _jobs.Values)
        {
            signal.Dispose();
        }

        _jobs.Clear();
    }

    private static void Release(SemaphoreSlim signal)
    {
        try
        {
            // At most one pending wake-up: many outcomes in a row make one more pass, not one each.
            if (signal.CurrentCount == 0)
            {
                signal.Release();
            }
        }
        catch (Exception e) when (e is SemaphoreFullException or ObjectDisposedException)
        {
            // Raced with another wake-up, or with the driver leaving: either way nothing waits for this one.
        }
    }
}
