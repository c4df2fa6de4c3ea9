using EpdBatch.Pipeline.Options;
using EpdBatch.Stages;
using EpdBatch.Video;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace EpdBatch.Encoder;

public static class EncoderServiceCollectionExtensions
{
    /// <summary>The encoder stage: its options (section Epd:Encoder), its model and its video frame source.</summary>
    public static IServiceCollection AddEncoderStage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddEpdStageOptions<EncoderOptions>(configuration);
        services.AddSingleton<EncoderStage>();
        services.AddStageItemConsumption();
        services.AddEpdVideo(configuration).TryAddSingleton<IMediaFrameSource, FfmpegFrameSource>();
        // Load the model at start: a worker that cannot load it fails before it takes a message.
        services.AddHostedService<StageWarmup<EncoderStage>>();
        return services;
    }

    public static void AddEncoderConsumers(IBusRegistrationConfigurator bus) =>
        bus.AddConsumer<EncodeItemConsumer, EncodeItemConsumerDefinition>();
}
