using EpdBatch.Ingest.Client;
using EpdBatch.Ingest.Jobs;
using EpdBatch.Pipeline;
using EpdBatch.Pipeline.Messaging;
using EpdBatch.Pipeline.Storage;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EpdBatch.Ingest.Tests.Support;

/// <summary>
/// One ingest process, as the service would run it (AddIngestStage + AddEpdMessaging with AddIngestConsumers),
/// with short polls and leases so the tests run fast; in the embedded mode the fake stage runs in it too.
/// </summary>
public sealed class IngestHost : IAsyncDisposable
{
    private readonly IHost _host;

    private IngestHost(IHost host, string root)
    {
        _host = host;
        Root = root;
    }

    /// <summary>The local-folder store's root (the embedded mode's "blob storage").</summary>
    public string Root { get; }

    public IServiceProvider Services => _host.Services;

    public IJobClient Jobs => Services.GetRequiredService<IJobClient>();

    public IScheduleClient Schedules => Services.GetRequiredService<IScheduleClient>();

    public IJobStore Store => Services.GetRequiredService<IJobStore>();

    public IBlobStore Blobs => Services.GetRequiredService<IBlobStore>();

    public IBus Bus => Services.GetRequiredService<IBus>();

    /// <summary>Everything in this process: in-memory bus and stores, a local folder for blobs, the fake stage beside the ingest.</summary>
    public static Task<IngestHost> StartEmbeddedAsync(FakeStage stage, Action<IngestOptions>? configure = null, Action<IServiceCollection>? services = null) =>
        StartAsync(new EpdConnectionOptions(), IngestNames.Fresh(), stage, stage.QueueName, configure, services, "embedded");

    /// <summary>An ingest on RabbitMQ, Redis and Azurite; its encode commands go to <see cref="IngestNames.StageQueue"/> (see <see cref="StartStageAsync"/>).</summary>
    public static Task<IngestHost> StartDistributedAsync(IngestNames names, Action<IngestOptions>? configure = null, Action<IServiceCollection>? services = null, string tag = "ingest") =>
        StartAsync(Distributed, names, null, names.StageQueue, configure, services, tag);

    public static EpdConnectionOptions Distributed => new() { RabbitMq = TestServers.RabbitMq, Redis = TestServers.Redis, Blob = TestServers.Blob };

    /// <summary>The fake stage alone, as its own process would run it.</summary>
    public static async Task<IHost> StartStageAsync(FakeStage stage)
    {
        LogContext.Current = null;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddProvider(new TestLoggerProvider("stage"));
        builder.Services.AddSingleton(stage);
        Configure(builder.Services);
        builder.Services.AddEpdMessaging(new EpdConnectionOptions { RabbitMq = TestServers.RabbitMq }, bus => bus.AddConsumer<FakeStageConsumer, FakeStageConsumerDefinition>());
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    public string WriteManifest(string name, IEnumerable<string> lines)
    {
        var path = Path.Combine(Root, name);
        File.WriteAllText(path, string.Join('\n', lines) + "\n");
        return path;
    }

    /// <summary>A blob of the job's output folder, as text; null where it does not exist.</summary>
    public async Task<string?> ReadOutputAsync(JobStatus job, string file)
    {
        try
        {
            return System.Text.Encoding.UTF8.GetString(await Blobs.ReadAsync(job.OutputUri + file, CancellationToken.None));
        }
        catch (BlobNotFoundException)
        {
            return null;
        }
    }

    public async Task<JobStatus> WaitAsync(string jobId, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        return await Jobs.WaitAsync(jobId, TimeSpan.FromMilliseconds(50), cts.Token);
    }

    /// <summary>Waits until <paramref name="condition"/> holds for the job.</summary>
    public async Task<JobStatus> WaitUntilAsync(string jobId, Func<JobStatus, bool> condition, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var status = await Jobs.GetAsync(jobId, cts.Token);
            if (status is not null && condition(status))
            {
                return status;
            }

            await Task.Delay(25, cts.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await _host.StopAsync(stop.Token);
        }
        finally
        {
            _host.Dispose();
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
                // Already gone: nothing to clean.
            }
        }
    }

    private static async Task<IngestHost> StartAsync(
        EpdConnectionOptions connections,
        IngestNames names,
        FakeStage? stage,
        string encodeQueue,
        Action<IngestOptions>? configure,
        Action<IServiceCollection>? services,
        string tag)
    {
        // MassTransit keeps its log context in an AsyncLocal; one left by a host this test already disposed would be reused.
        LogContext.Current = null;
        var root = TestRun.TempFolder();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddProvider(new TestLoggerProvider(tag));
        Configure(builder.Services);
        services?.Invoke(builder.Services);
        builder.Services.AddEpdStorage(connections, o => o.LocalRoot = root);
        builder.Services.AddIngestStage(builder.Configuration, connections);
        builder.Services.PostConfigure<IngestOptions>(o =>
        {
            o.KeyPrefix = names.KeyPrefix;
            o.JobQueue = names.JobQueue;
            o.ResultsQueue = names.ResultsQueue;
            o.EncodeQueue = encodeQueue;
            o.PollInterval = TimeSpan.FromMilliseconds(100);
            o.LeaseDuration = TimeSpan.FromSeconds(2);
            o.FlushEveryItems = 5;
            o.FlushInterval = TimeSpan.FromMilliseconds(300);
            o.CancelGracePeriod = TimeSpan.FromSeconds(5);
            o.PublishWindow = 8;
            o.RequestTimeout = TimeSpan.FromSeconds(15);
            configure?.Invoke(o);
        });
        if (stage is not null)
        {
            builder.Services.AddSingleton(stage);
        }

        builder.Services.AddEpdMessaging(connections, bus =>
        {
            bus.AddIngestConsumers();
            if (stage is not null)
            {
                bus.AddConsumer<FakeStageConsumer, FakeStageConsumerDefinition>();
            }
        });
        var host = builder.Build();
        await host.StartAsync();
        return new IngestHost(host, root);
    }

    private static void Configure(IServiceCollection services) =>
        services.Configure<EpdMessagingOptions>(o =>
        {
            o.RetryIntervals = [TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(50)];
            o.StartTimeout = TimeSpan.FromSeconds(30);
        });
}
