using EpdBatch.Pipeline;
using EpdBatch.Pipeline.Options;
using EpdBatch.Stages;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EpdBatch.Decoder;

public static class DecoderServiceCollectionExtensions
{
    /// <summary>The decoder stage: its options (section Epd:Decoder) and its decode loop, started with the host.</summary>
    public static IServiceCollection AddDecoderStage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddEpdStageOptions<DecoderOptions>(configuration);
        services.AddSingleton<DecodeLoop>();
        services.AddStageItemConsumption();
        services.AddDeviceKvHandoff(PipelineStages.Decoder);
        services.AddHostedService<StageWarmup<DecodeLoop>>();
        return services;
    }

    public static void AddDecoderConsumers(IBusRegistrationConfigurator bus) =>
        bus.AddConsumer<DecodeItemConsumer, DecodeItemConsumerDefinition>();
}
