using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StackExchange.Redis;

namespace EpdBatch.Pipeline.Progress;

public static class ProgressServiceCollectionExtensions
{
    /// <summary>Redis counters where Redis is configured (after <c>AddEpdStorage</c>, which registers the connection), in-memory otherwise.</summary>
    public static IServiceCollection AddEpdStageProgress(this IServiceCollection services, EpdConnectionOptions connections)
    {
        if (connections.Redis is not null)
        {
            services.TryAddSingleton<IStageProgress>(sp => new RedisStageProgress(sp.GetRequiredService<IConnectionMultiplexer>()));
        }
        else
        {
            services.TryAddSingleton<IStageProgress, InMemoryStageProgress>();
        }
        return services;
    }
}
