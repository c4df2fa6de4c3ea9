using System.Text;
using System.Text.Json.Nodes;
using EpdBatch.Pipeline.Storage;
using StackExchange.Redis;

namespace EpdBatch.PipelineBench;

/// <summary>
/// One job of the load test through fresh <c>epd serve</c> processes (ingest, encoder, prefill, decoder, default
/// settings) with a private RabbitMQ vhost and a private Redis database, so that every key in that database is the
/// deployment's: <c>epd run</c> runs the job while a <see cref="ResourceSampler"/> watches the processes and the keys.
/// </summary>
internal static class LoadRun
{
    private static readonly string[] s_stages = ["ingest", "encoder", "prefill", "decoder"];
    private const string ClaimKey = "epd-bench:load-test";

    public static async Task<LoadResult> RunAsync(int items, BenchData data, AzureBlobStore blobs, BenchOptions options, TextWriter log)
    {
        var vhost = await Loopback.CreateVhostAsync("epd-bench");
        var prefix = $"epd:bench:{vhost}:";
        await using var redis = await ConnectionMultiplexer.ConnectAsync(Loopback.Redis);
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var database = await ClaimEmptyDatabaseAsync(redis, server);
        var environment = new Dictionary<string, string>
        {
            ["EPD_RABBITMQ"] = Loopback.RabbitMq(vhost),
            ["EPD_REDIS"] = $"{Loopback.Redis},defaultDatabase={database}",
            ["EPD_BLOB"] = Loopback.Blob,
            ["EPD_MODEL"] = data.ModelPath,
            ["Epd__Ingest__KeyPrefix"] = prefix,
        };
        try
        {
            var manifestUri = $"az://{data.Container}/manifest-{items}.jsonl";
            await data.WriteManifestAsync(blobs, items, manifestUri);
            await using var services = new ServiceProcesses(Path.Combine(options.WorkFolder, "logs", vhost), environment, readyWithin: TimeSpan.FromMinutes(3));
            foreach (var stage in s_stages)
            {
                await services.StartAsync(stage);
            }
            log.WriteLine($"  load test, {items} items: services ready (Redis database {database}), running the job ...");

            var outputPrefix = $"az://{data.Container}/out-{vhost}/";
            var load = MachineLoad.Start();
            var sampler = new ResourceSampler(services.ProcessIds, server, database, prefix, TimeSpan.FromMilliseconds(options.SampleMilliseconds));
            EpdProcess.Result result;
            ResourcePeaks peaks;
            try
            {
                result = await EpdProcess.RunAsync(["run", manifestUri, "--out", outputPrefix], environment, timeout: TimeSpan.FromMinutes(120));
            }
            finally
            {
                peaks = await sampler.StopAsync();
            }
            var machine = load.Stop();
            if (result.ExitCode is not (0 or 3))
            {
                throw new InvalidOperationException($"epd run exited with {result.ExitCode}:\n{result.Stdout}\n{result.Stderr}");
            }

            var jobFolder = result.Stdout.Split('\n').Single(l => l.StartsWith("results", StringComparison.Ordinal))["results".Length..].Trim().TrimEnd('/') + "/";
            var jobId = jobFolder.TrimEnd('/').Split('/')[^1];
            var summary = JsonNode.Parse(await blobs.ReadAsync(jobFolder + "summary.json", CancellationToken.None))!;
            var results = Encoding.UTF8.GetString(await blobs.ReadAsync(jobFolder + "results.jsonl", CancellationToken.None))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => (string)JsonNode.Parse(l)!["custom_id"]!).ToList();
            var completed = summary["request_counts"]!["completed"]!.GetValue<int>();
            if (results.Count != completed || results.Distinct().Count() != results.Count)
            {
                throw new InvalidOperationException($"job {jobId}: results.jsonl has {results.Count} lines ({results.Distinct().Count()} distinct ids), the summary {completed} completed");
            }

            var keysAfter = await CountKeysAsync(server, database, prefix);
            return new LoadResult(items, jobId, completed, summary["request_counts"]!["failed"]!.GetValue<int>(),
                Math.Round(result.Wall.TotalSeconds, 1), summary["wall_time_seconds"]!.GetValue<double>(),
                Math.Round(completed / result.Wall.TotalSeconds, 2), new Ingest.IngestOptions().MaxInFlight, database, peaks, keysAfter, machine);
        }
        finally
        {
            await Loopback.DeleteVhostAsync(vhost);
            // Every key of the private database is this run's (the claim included).
            var db = redis.GetDatabase(database);
            await foreach (var key in server.KeysAsync(database, "*", pageSize: 1000))
            {
                await db.KeyDeleteAsync(key);
            }
        }
    }

    /// <summary>An empty Redis database (15 down to 1), claimed with a marker key so that no other run takes it too.</summary>
    private static async Task<int> ClaimEmptyDatabaseAsync(ConnectionMultiplexer redis, IServer server)
    {
        for (var database = 15; database >= 1; database--)
        {
            if (await server.DatabaseSizeAsync(database) == 0 && await redis.GetDatabase(database).StringSetAsync(ClaimKey, Environment.ProcessId, TimeSpan.FromHours(6), When.NotExists))
            {
                return database;
            }
        }
        throw new InvalidOperationException("no empty Redis database among 1..15 for the load test's deployment");
    }

    private static async Task<IReadOnlyDictionary<string, long>> CountKeysAsync(IServer server, int database, string prefix)
    {
        var counts = new Dictionary<string, long>();
        await foreach (var key in server.KeysAsync(database, "*", pageSize: 1000))
        {
            var kind = ResourceSampler.KindOf(key.ToString(), prefix);
            counts[kind] = counts.GetValueOrDefault(kind) + 1;
        }
        return counts;
    }
}
