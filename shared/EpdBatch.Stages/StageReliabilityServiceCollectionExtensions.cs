using EpdBatch.Pipeline.Reliability;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace EpdBatch.Stages;

public static class StageReliabilityServiceCollectionExtensions
{
    /// <summary>What every stage consumer needs for its delivery and failure policy (<see cref="ItemConsumption"/>).</summary>
    public static IServiceCollection AddStageItemConsumption(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddEpdReliability();
        services.TryAddSingleton<ItemConsumption>();
        return services;
    }
}
