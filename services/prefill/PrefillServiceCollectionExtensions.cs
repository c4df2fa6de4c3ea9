using EpdBatch.Pipeline;
using EpdBatch.Pipeline.Options;
using EpdBatch.Stages;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EpdBatch.Prefill;

public static class PrefillServiceCollectionExtensions
{
    /// <summary>The prefill stage: its options (section Epd:Prefill) and its model, loaded at start.</summary>
    public static IServiceCollection AddPrefillStage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddEpdStageOptions<PrefillOptions>(configuration);
        services.AddSingleton<PrefillStage>();
        services.AddStageItemConsumption();
        services.AddDeviceKvHandoff(PipelineStages.Prefill);
        services.AddHostedService<StageWarmup<PrefillStage>>();
        return services;
    }

    public static void AddPrefillConsumers(IBusRegistrationConfigurator bus) =>
        bus.AddConsumer<PrefillItemConsumer, PrefillItemConsumerDefinition>();
}
