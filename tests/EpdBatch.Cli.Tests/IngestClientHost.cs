using EpdBatch.Ingest;
using EpdBatch.Ingest.Client;
using EpdBatch.Pipeline;
using EpdBatch.Pipeline.Messaging;
using EpdBatch.Pipeline.Progress;
using EpdBatch.Pipeline.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EpdBatch.Cli.Tests;

/// <summary>
/// The test's own client of the ingest services (as <c>epd submit/status/cancel</c> is, without a process start per
/// command): the job client over the same RabbitMQ vhost, Redis key prefix and blob storage as the services.
/// </summary>
internal sealed class IngestClientHost : IAsyncDisposable
{
    private readonly IHost _host;

    private IngestClientHost(IHost host) => _host = host;

    public IJobClient Jobs => _host.Services.GetRequiredService<IJobClient>();

    public IBlobStore Blobs => _host.Services.GetRequiredService<IBlobStore>();

    public IStageProgress Progress => _host.Services.GetRequiredService<IStageProgress>();

    /// <summary><paramref name="environment"/> is the services' (<c>EPD_*</c> and <c>Epd__Ingest__*</c> variables).</summary>
    public static async Task<IngestClientHost> StartAsync(IReadOnlyDictionary<string, string> environment)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(environment
            .Where(e => e.Key.StartsWith("Epd__Ingest__", StringComparison.Ordinal))
            .Select(e => KeyValuePair.Create<string, string?>(e.Key.Replace("__", ":", StringComparison.Ordinal), e.Value)));
        var connections = new EpdConnectionOptions
        {
            RabbitMq = environment[EpdConnectionOptions.RabbitMqVariable],
            Redis = environment[EpdConnectionOptions.RedisVariable],
            Blob = environment[EpdConnectionOptions.BlobVariable],
        };
        builder.Services.AddEpdStorage(connections);
        builder.Services.AddEpdStageProgress(connections);
        builder.Services.AddIngestClient(builder.Configuration, connections);
        builder.Services.AddEpdMessaging(connections, _ => { });
        var host = builder.Build();
        await host.StartAsync();
        return new IngestClientHost(host);
    }

    /// <summary>Polls the job (every 100 ms) until <paramref name="condition"/> holds; fails after <paramref name="timeout"/>.</summary>
    public async Task<JobStatus> WaitUntilAsync(string jobId, Func<JobStatus, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        JobStatus? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await Jobs.GetAsync(jobId, CancellationToken.None);
            if (last is not null && condition(last))
            {
                return last;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"job {jobId}: not {what} after {timeout.TotalSeconds} s (last seen {last?.StateName}, {last?.Completed}/{last?.Total} completed, {last?.Failed} failed)");
    }

    /// <summary>The names of the files in the job's output folder.</summary>
    public async Task<List<string>> ListOutputAsync(JobStatus job)
    {
        var names = new List<string>();
        await foreach (var uri in Blobs.ListAsync(job.OutputUri, CancellationToken.None))
        {
            names.Add(uri[(uri.LastIndexOf('/') + 1)..]);
        }
        return names;
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
