using System.Text.Json.Nodes;
using EpdBatch.Cli.Hosting;
using EpdBatch.Ingest.Client;
using EpdBatch.Pipeline;
using EpdBatch.Pipeline.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EpdBatch.Cli.Commands;

/// <summary>
/// Runs a job to its end and shows it: embedded (all four stages in this process, in-memory bus and stores, local
/// folders) or distributed (submitted to the ingest service over RabbitMQ, followed through Redis).
/// </summary>
internal static class JobRunner
{
    /// <param name="MediaRoot">Folder local media must lie under; the manifest's folder where null.</param>
    public sealed record Request(string Manifest, string Out, string? Model, bool Embedded, EpdConnectionOptions Connections, bool Strict, string? IdempotencyKey, bool Verbose, string? MediaRoot = null);

    public sealed record Outcome(JobStatus Status, JsonObject? Summary, string ResultsLocation);

    public static async Task<Outcome> RunAsync(Request request, CancellationToken ct)
    {
        return request.Embedded ? await RunEmbeddedAsync(request, ct) : await RunDistributedAsync(request, ct);
    }

    private static async Task<Outcome> RunEmbeddedAsync(Request request, CancellationToken ct)
    {
        var manifest = Path.GetFullPath(request.Manifest);
        if (!File.Exists(manifest))
        {
            throw new FileNotFoundException($"{request.Manifest}: no such manifest file");
        }
        var model = request.Model ?? request.Connections.Model ?? throw new ArgumentException("--model is required (or set EPD_MODEL)");
        if (!Directory.Exists(model))
        {
            throw new DirectoryNotFoundException($"--model {model}: no such folder");
        }
        var mediaRoot = ManifestUploader.MediaRootFor(manifest, request.MediaRoot);
        var output = Path.GetFullPath(request.Out);
        Directory.CreateDirectory(output);
        // Local media paths are relative to the manifest's folder: resolve them line for line into a copy the job reads.
        var resolved = await ManifestMedia.ResolveLocalPathsAsync(manifest, Path.Combine(output, $".manifest-{Guid.NewGuid():N}.jsonl"), ct);
        const string root = "/";
        var settings = new Dictionary<string, string?>
        {
            [EpdConnectionOptions.RabbitMqVariable] = "",
            [EpdConnectionOptions.RedisVariable] = "",
            [EpdConnectionOptions.BlobVariable] = "",
            [EpdConnectionOptions.ModelVariable] = Path.GetFullPath(model),
            // The store writes the results wherever --out says; media are read from under the media root alone.
            ["Epd:Storage:LocalRoot"] = root,
            ["Epd:Storage:MediaRoot"] = mediaRoot,
        };
        var builder = EpdHostFactory.CreateBuilder(PipelineStages.All, settings, request.Verbose ? LogLevel.Information : LogLevel.Warning);
        using var host = builder.Build();
        await host.StartAsync(ct);
        try
        {
            var client = host.Services.GetRequiredService<IJobClient>();
            var submission = new JobSubmission(resolved, output)
            {
                Strict = request.Strict,
                IdempotencyKey = request.IdempotencyKey,
                Model = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(model))),
            };
            var status = await FollowAsync(client, await client.SubmitAsync(submission, ct), ct);
            File.Delete(resolved);
            var jobFolder = Path.Combine(root, status.OutputUri);
            var summaryPath = Path.Combine(jobFolder, "summary.json");
            var summary = File.Exists(summaryPath) ? JsonNode.Parse(await File.ReadAllTextAsync(summaryPath, ct)) as JsonObject : null;
            return new Outcome(status, summary, jobFolder);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<Outcome> RunDistributedAsync(Request request, CancellationToken ct)
    {
        var settings = new Dictionary<string, string?>();
        var builder = EpdHostFactory.CreateBuilder([], settings, request.Verbose ? LogLevel.Information : LogLevel.Warning);
        using var host = builder.Build();
        await host.StartAsync(ct);
        try
        {
            var blobs = host.Services.GetRequiredService<IBlobStore>();
            var client = host.Services.GetRequiredService<IJobClient>();
            var manifestUri = await ManifestUploader.UploadIfLocalAsync(blobs, request.Manifest, request.MediaRoot, ct);
            var localOut = !request.Out.Contains("://", StringComparison.Ordinal);
            var outputUri = localOut ? "az://epd-output/" : request.Out;
            var submission = new JobSubmission(manifestUri, outputUri) { Strict = request.Strict, IdempotencyKey = request.IdempotencyKey };
            var status = await FollowAsync(client, await client.SubmitAsync(submission, ct), ct);
            JsonObject? summary = null;
            var location = status.OutputUri;
            try
            {
                summary = JsonNode.Parse(await blobs.ReadAsync(Join(status.OutputUri, "summary.json"), ct)) as JsonObject;
            }
            catch (PermanentItemException)
            {
                // A job that failed validation may have exported nothing.
            }
            if (localOut)
            {
                location = Path.Combine(Path.GetFullPath(request.Out), status.JobId);
                Directory.CreateDirectory(location);
                await foreach (var uri in blobs.ListAsync(status.OutputUri, ct))
                {
                    var name = uri[(uri.LastIndexOf('/') + 1)..];
                    await File.WriteAllBytesAsync(Path.Combine(location, name), await blobs.ReadAsync(uri, ct), ct);
                }
            }
            return new Outcome(status, summary, location);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<JobStatus> FollowAsync(IJobClient client, JobStatus submitted, CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        JobStatus latest = submitted;
        await ProgressDisplay.FollowAsync(async token =>
        {
            latest = await client.GetAsync(submitted.JobId, token) ?? latest;
            return new JobProgressSnapshot(latest.JobId, latest.StateName, latest.Total,
                latest.StageCounts.GetValueOrDefault(PipelineStages.Encoder), latest.StageCounts.GetValueOrDefault(PipelineStages.Prefill),
                latest.StageCounts.GetValueOrDefault(PipelineStages.Decoder), latest.Completed, latest.Failed, DateTimeOffset.UtcNow - started);
        }, _ => latest.IsFinished, ct);
        return latest;
    }

    internal static string Join(string prefix, string name) => prefix.EndsWith('/') ? prefix + name : prefix + "/" + name;
}
