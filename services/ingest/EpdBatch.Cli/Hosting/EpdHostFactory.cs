using EpdBatch.Decoder;
using EpdBatch.Encoder;
using EpdBatch.Ingest;
using EpdBatch.Pipeline;
using EpdBatch.Pipeline.Messaging;
using EpdBatch.Pipeline.Options;
using EpdBatch.Pipeline.Progress;
using EpdBatch.Pipeline.Storage;
using EpdBatch.Prefill;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EpdBatch.Cli.Hosting;

/// <summary>
/// Builds the host that runs some stages of the pipeline: one stage for <c>epd serve</c>, all four for the embedded
/// <c>epd run</c>. The same stage registrations serve both; only the transports behind the interfaces differ.
/// </summary>
internal static class EpdHostFactory
{
    public static HostApplicationBuilder CreateBuilder(IReadOnlyCollection<string> stages, IReadOnlyDictionary<string, string?> settings, LogLevel logLevel)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            // appsettings.json (if present) and environment variables (EPD_*, Epd__Encoder__MaxBatchSize, ...), then the command line's values.
            ContentRootPath = Environment.CurrentDirectory,
            DisableDefaults = false,
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        builder.Logging.SetMinimumLevel(logLevel);
        // MassTransit's own start/stop chatter is noise at the CLI's level.
        builder.Logging.AddFilter("MassTransit", logLevel < LogLevel.Warning ? LogLevel.Warning : logLevel);

        var connections = EpdConnectionOptions.FromConfiguration(builder.Configuration);
        SecretRedactor.RememberSecretsOf(connections);
        var services = builder.Services;
        services.AddEpdConnectionOptions(builder.Configuration);
        services.AddEpdStorage(connections);
        services.AddEpdStageProgress(connections);
        if (stages.Contains(PipelineStages.Ingest))
        {
            services.AddIngestStage(builder.Configuration, connections);
        }
        else
        {
            // Every host can follow and command jobs (epd run in the distributed mode has no stage at all).
            services.AddIngestClient(builder.Configuration, connections);
        }
        if (stages.Contains(PipelineStages.Encoder))
        {
            services.AddEncoderStage(builder.Configuration);
        }
        if (stages.Contains(PipelineStages.Prefill))
        {
            services.AddPrefillStage(builder.Configuration);
        }
        if (stages.Contains(PipelineStages.Decoder))
        {
            services.AddDecoderStage(builder.Configuration);
        }
        services.AddEpdMessaging(connections, bus => AddConsumers(bus, stages));
        return builder;
    }

    private static void AddConsumers(IBusRegistrationConfigurator bus, IReadOnlyCollection<string> stages)
    {
        if (stages.Contains(PipelineStages.Ingest))
        {
            bus.AddIngestConsumers();
        }
        if (stages.Contains(PipelineStages.Encoder))
        {
            EncoderServiceCollectionExtensions.AddEncoderConsumers(bus);
        }
        if (stages.Contains(PipelineStages.Prefill))
        {
            PrefillServiceCollectionExtensions.AddPrefillConsumers(bus);
        }
        if (stages.Contains(PipelineStages.Decoder))
        {
            DecoderServiceCollectionExtensions.AddDecoderConsumers(bus);
        }
    }
}
