using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EpdBatch.Pipeline.Health;

/// <summary>Keeps the readiness file of <see cref="HealthFileOptions"/> in step with the health checks.</summary>
internal sealed class HealthFileWriter(
    HealthCheckService healthChecks,
    IOptions<HealthFileOptions> options,
    TimeProvider timeProvider,
    ILogger<HealthFileWriter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.File is not { Length: > 0 } path)
        {
            return;
        }

        var wasHealthy = (bool?)null;
        using var timer = new PeriodicTimer(options.Value.Interval, timeProvider);
        try
        {
            do
            {
                var report = await healthChecks.CheckHealthAsync(stoppingToken);
                var healthy = report.Status == HealthStatus.Healthy;
                if (healthy)
                {
                    await File.WriteAllTextAsync(path, timeProvider.GetUtcNow().ToString("O"), stoppingToken);
                }
                else
                {
                    File.Delete(path);
                }

                if (healthy != wasHealthy)
                {
                    logger.LogInformation("Health {Status}: {Entries}", report.Status,
                        string.Join(", ", report.Entries.Select(e => $"{e.Key}={e.Value.Status}")));
                    wasHealthy = healthy;
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            File.Delete(path);
        }
    }
}
