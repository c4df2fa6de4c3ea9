using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EpdBatch.Stages;

/// <summary>Resolves a stage's singleton at host start, so its model loads (or fails) before any message arrives.</summary>
public sealed class StageWarmup<TStage>(IServiceProvider services) : IHostedService
    where TStage : notnull
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = services.GetRequiredService<TStage>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
