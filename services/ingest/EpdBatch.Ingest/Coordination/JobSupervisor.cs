using System.Collections.Concurrent;
using EpdBatch.Ingest.Jobs;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EpdBatch.Ingest.Coordination;

/// <summary>
/// Runs a <see cref="JobDriver"/> for every active job that no live replica drives. Each poll it lists the active
/// jobs and takes the lease of those without one; while it drives a job it renews the lease, and gives the job up
/// the moment it loses it. A replica that dies (even by SIGKILL) stops renewing, so after
/// <see cref="IngestOptions.LeaseDuration"/> another replica, or the same one restarted, takes over: that is the
/// resume. On a clean stop it releases its leases at once.
/// </summary>
internal sealed class JobSupervisor(
    IJobStore store,
    JobDriver driver,
    JobSignals signals,
    IHostApplicationLifetime lifetime,
    IOptions<IngestOptions> options,
    ILogger<JobSupervisor> logger) : BackgroundService
{
    private readonly IngestOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, Task> _running = new(StringComparer.Ordinal);

    /// <summary>This replica's name on the leases it holds.</summary>
    public string Owner { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Publishing needs a started bus: wait until every hosted service (MassTransit's among them) has started.
        if (!await WaitForStartAsync(stoppingToken))
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Looking for jobs to drive failed; trying again in {Interval}", _options.PollInterval);
            }

            try
            {
                await signals.WaitSupervisorAsync(_options.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        await Task.WhenAll(_running.Values);
    }

    private async Task<bool> WaitForStartAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var onStarted = lifetime.ApplicationStarted.Register(static s => ((TaskCompletionSource)s!).TrySetResult(), started);
        using var onStopping = stoppingToken.Register(static s => ((TaskCompletionSource)s!).TrySetCanceled(), started);
        try
        {
            await started.Task;
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task SweepAsync(CancellationToken stoppingToken)
    {
        foreach (var jobId in await store.ListActiveAsync(stoppingToken))
        {
            if (_running.ContainsKey(jobId) || !await store.TryAcquireLeaseAsync(jobId, Owner, _options.LeaseDuration, stoppingToken))
            {
                continue;
            }

            // The driver waits until it is listed, so that its own removal can never come before.
            var listed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _running[jobId] = DriveAsync(jobId, listed.Task, stoppingToken);
            listed.SetResult();
        }
    }

    private async Task DriveAsync(string jobId, Task listed, CancellationToken stoppingToken)
    {
        await listed;
        using var lease = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var renewing = RenewAsync(jobId, lease);
        try
        {
            logger.LogDebug("Driving job {JobId}", jobId);
            await driver.RunAsync(jobId, lease.Token);
        }
        catch (OperationCanceledException) when (lease.IsCancellationRequested)
        {
            // Stopping, or the lease was lost: another replica carries on.
        }
        catch (Exception e)
        {
            logger.LogError(e, "Driving job {JobId} failed; it is picked up again at the next poll", jobId);
        }
        finally
        {
            await lease.CancelAsync();
            await renewing;
            try
            {
                await store.ReleaseLeaseAsync(jobId, Owner, CancellationToken.None);
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Releasing the lease of job {JobId} failed; it expires by itself", jobId);
            }

            signals.Forget(jobId);
            _running.TryRemove(jobId, out _);
        }
    }

    private async Task RenewAsync(string jobId, CancellationTokenSource lease)
    {
        var every = _options.LeaseDuration / 3;
        while (!lease.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(every, lease.Token);
                if (!await store.TryAcquireLeaseAsync(jobId, Owner, _options.LeaseDuration, lease.Token))
                {
                    logger.LogWarning("Lost the lease of job {JobId}; another replica drives it now", jobId);
                    await lease.CancelAsync();
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e)
            {
                // Redis briefly away: keep trying until the lease would have run out.
                logger.LogWarning(e, "Renewing the lease of job {JobId} failed", jobId);
            }
        }
    }
}
