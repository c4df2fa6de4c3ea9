using EpdBatch.Ingest.Client;
using EpdBatch.Ingest.Consumers;
using EpdBatch.Ingest.Coordination;
using EpdBatch.Ingest.Jobs;
using EpdBatch.Ingest.Scheduling;
using EpdBatch.Pipeline;
using EpdBatch.Pipeline.Progress;
using EpdBatch.Pipeline.Storage;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace EpdBatch.Ingest;

public static class IngestServiceCollectionExtensions
{
    /// <summary>The encoders' frame cap (<c>VideoOptions.MaxFrames</c>), the default of <see cref="IngestOptions.MaxVideoFrames"/>.</summary>
    private const string VideoMaxFramesKey = "Epd:Video:MaxFrames";

    /// <summary>
    /// The ingest service: <see cref="IngestOptions"/> (section <c>Epd:Ingest</c>, validated at start), the job and
    /// schedule stores (Redis where <see cref="EpdConnectionOptions.Redis"/> is set, in-process otherwise), the blob
    /// store and stage counters (where not registered yet), the coordinator, the hosted services that drive and
    /// resume jobs and fire schedules, and <see cref="IJobClient"/> / <see cref="IScheduleClient"/>. The bus is the
    /// caller's: pass <see cref="AddIngestConsumers"/> to <c>AddEpdMessaging</c>.
    /// </summary>
    public static IServiceCollection AddIngestStage(this IServiceCollection services, IConfiguration configuration, EpdConnectionOptions connections)
    {
        AddIngestCore(services, configuration, connections);
        services.TryAddSingleton<JobSignals>();
        services.TryAddSingleton<JobExporter>();
        services.TryAddSingleton<EncodeDispatcher>();
        services.TryAddSingleton<JobDriver>();
        services.TryAddSingleton<JobCoordinator>();
        services.TryAddSingleton<ScheduleRunner>();
        services.AddHostedService<JobSupervisor>();
        services.AddHostedService<ScheduleService>();
        return services;
    }

    /// <summary>
    /// A client of a remote ingest service (the <c>epd</c> CLI in the distributed mode): the options, the stores
    /// (read directly) and <see cref="IJobClient"/> / <see cref="IScheduleClient"/>; no consumers, no hosted
    /// services. The caller adds the bus (<c>AddEpdMessaging(connections, _ => { })</c>) for the requests.
    /// </summary>
    public static IServiceCollection AddIngestClient(this IServiceCollection services, IConfiguration configuration, EpdConnectionOptions connections)
    {
        AddIngestCore(services, configuration, connections);
        return services;
    }

    /// <summary>The ingest's consumers: commands on <see cref="IngestOptions.JobQueue"/>, item results on <see cref="IngestOptions.ResultsQueue"/>.</summary>
    public static void AddIngestConsumers(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.AddConsumer<SubmitJobConsumer, SubmitJobConsumerDefinition>();
        bus.AddConsumer<CancelJobConsumer, CancelJobConsumerDefinition>();
        bus.AddConsumer<RetryJobConsumer, RetryJobConsumerDefinition>();
        bus.AddConsumer<ItemCompletedConsumer, ItemCompletedConsumerDefinition>();
        bus.AddConsumer<ItemFailedConsumer, ItemFailedConsumerDefinition>();
    }

    private static void AddIngestCore(IServiceCollection services, IConfiguration configuration, EpdConnectionOptions connections)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(connections);
        connections.Validate();

        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<IngestOptions>()
            .Bind(configuration.GetSection(IngestOptions.SectionName), binder => binder.ErrorOnUnknownConfiguration = true)
            .Configure(options =>
            {
                // The frame cap is the encoders' (Epd:Video:MaxFrames) unless the ingest is given its own.
                if (configuration[$"{IngestOptions.SectionName}:{nameof(IngestOptions.MaxVideoFrames)}"] is null
                    && configuration.GetValue<int?>(VideoMaxFramesKey) is { } videoMax)
                {
                    options.MaxVideoFrames = videoMax;
                }
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<IngestOptions>, IngestOptionsValidator>());

        if (!services.Any(static d => d.ServiceType == typeof(IBlobStore)))
        {
            services.AddEpdStorage(connections);
        }

        services.AddEpdMediaAccess(connections);

        if (connections.Redis is { } redis)
        {
            services.TryAddSingleton<IConnectionMultiplexer>(_ => StorageServiceCollectionExtensions.ConnectRedis(redis));
            services.TryAddSingleton<IJobStore, RedisJobStore>();
            services.TryAddSingleton<IScheduleStore, RedisScheduleStore>();
        }
        else
        {
            services.TryAddSingleton<IJobStore, InMemoryJobStore>();
            services.TryAddSingleton<IScheduleStore, InMemoryScheduleStore>();
        }

        services.AddEpdStageProgress(connections);
        services.TryAddSingleton<JobClient>();
        services.TryAddSingleton<IJobClient>(static sp => sp.GetRequiredService<JobClient>());
        services.TryAddSingleton<IScheduleClient, ScheduleClient>();
    }
}
