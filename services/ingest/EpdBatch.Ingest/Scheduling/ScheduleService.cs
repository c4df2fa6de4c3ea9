using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EpdBatch.Ingest.Scheduling;

/// <summary>Runs <see cref="ScheduleRunner"/> every <see cref="IngestOptions.ScheduleCheckInterval"/> on every ingest replica (claims make each slot fire once).</summary>
internal sealed class ScheduleService(
    ScheduleRunner runner,
    IHostApplicationLifetime lifetime,
    IOptions<IngestOptions> options,
    TimeProvider time,
    ILogger<ScheduleService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            // Scheduled jobs are published by the job drivers; start once the bus has.
            await Task.Delay(Timeout.InfiniteTimeSpan, lifetime.ApplicationStarted).WaitAsync(stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await runner.TickAsync(stoppingToken);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogWarning(e, "Checking the schedules failed; trying again in {Interval}", options.Value.ScheduleCheckInterval);
                }

                await Task.Delay(options.Value.ScheduleCheckInterval, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
