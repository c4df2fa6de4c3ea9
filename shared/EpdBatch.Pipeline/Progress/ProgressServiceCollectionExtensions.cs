using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StackExchange.Redis;

namespace EpdBatch.Pipeline.Progress;

public static class ProgressServiceCollectionExtensions
{
    /// <summary>
    /// The per-job state every stage shares: the stage counters (<see cref="IStageProgress"/>) and the cancelled
    /// jobs (<see cref="IJobCancellation"/>). In Redis where Redis is configured (after <c>AddEpdStorage</c>, which
    /// registers the connection), in-memory otherwise.
    /// </summary>
    public static IServiceCollection AddEpdStageProgress(this IServiceCollection services, EpdConnectionOptions connections)
    {
        ArgumentNullException.ThrowIfNull(connections);
        services.TryAddSingleton(TimeProvider.System);
        if (connections.Redis is not null)
        {
            services.TryAddSingleton<IStageProgress>(sp => new RedisStageProgress(sp.GetRequiredService<IConnectionMultiplexer>()));
            services.TryAddSingleton<IJobCancellation>(sp => new RedisJobCancellation(sp.GetRequiredService<IConnectionMultiplexer>(), sp.GetRequiredService<TimeProvider>()));
        }
        else
        {
            services.TryAddSingleton<IStageProgress, InMemoryStageProgress>();
            services.TryAddSingleton<IJobCancellation, InMemoryJobCancellation>();
        }
        return services;
    }
}
