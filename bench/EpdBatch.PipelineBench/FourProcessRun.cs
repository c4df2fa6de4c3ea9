using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using EpdBatch.Pipeline.Storage;
using StackExchange.Redis;

namespace EpdBatch.PipelineBench;

/// <summary>
/// The job through the four stages as separate OS processes (as tests/EpdBatch.Cli.Tests/DistributedPipelineTests
/// runs them): a private vhost, one ingest, encoder, prefill and decoder each with the default batch sizes and
/// consumer limits, then <c>epd run az://…/manifest.jsonl --out az://…/</c>, timed from process start to exit.
/// </summary>
internal static class FourProcessRun
{
    private static readonly string[] s_stages = ["ingest", "encoder", "prefill", "decoder"];

    public static async Task<FourProcessResult> RunAsync(int run, BenchData data, ServiceThreads threads, AzureBlobStore blobs, string workFolder, TextWriter log)
    {
        var vhost = await Loopback.CreateVhostAsync("epd-bench");
        var prefix = $"epd:bench:{vhost}:";
        var environment = Environment(vhost, prefix, data);
        // The encoder caches the tokens of equal media (by content hash) for an hour: drop this benchmark's entries,
        // so that every run encodes every image instead of reusing an earlier run's tokens.
        await ForgetEncodedMediaAsync(data);
        try
        {
            await using var services = new ServiceProcesses(Path.Combine(workFolder, "logs", vhost), environment, readyWithin: TimeSpan.FromMinutes(3));
            foreach (var stage in s_stages)
            {
                await services.StartAsync(stage, threads.EnvironmentFor(stage));
            }
            log.WriteLine($"  four-process run {run} (torch threads E/P/D {threads.Name}): services ready, running the job ...");

            var outputPrefix = $"az://{data.Container}/out-{vhost}/";
            var cpuBefore = services.CpuTimes();
            var load = MachineLoad.Start();
            var job = await PipelineJob.RunAsync(data.ManifestUri, outputPrefix, environment, blobs, () => services.LogTails());
            var machine = load.Stop();
            var cpuAfter = services.CpuTimes();
            var summary = job.Summary;
            var tokens = job.Tokens();
            var cpu = cpuAfter.ToDictionary(p => p.Key, p => Math.Round((p.Value - cpuBefore[p.Key]).TotalSeconds, 2));
            var stages = new Dictionary<string, StageFigures>();
            foreach (var stage in new[] { "encoder", "prefill", "decoder" })
            {
                var s = summary["stages"]![stage]!;
                stages[stage] = new StageFigures(s["items"]!.GetValue<int>(), s["busy_ms_mean"]?.GetValue<double>(),
                    s["queue_wait_ms_p50"]?.GetValue<double>(), s["queue_wait_ms_p95"]?.GetValue<double>(), null, cpu[stage + "-0"]);
            }
            var completed = job.Completed;

            await CleanRedisAsync(prefix);
            await ForgetEncodedMediaAsync(data);
            return new FourProcessResult(run, threads.Name, job.JobId, job.ExitCode, completed, job.Failed,
                job.CliWallSeconds, job.JobWallSeconds, Math.Round(completed / job.CliWallSeconds, 3), stages, cpu, machine, tokens);
        }
        finally
        {
            await Loopback.DeleteVhostAsync(vhost);
        }
    }

    /// <summary>What every process of a run gets: the loopback servers, a private vhost, the model and a key prefix.</summary>
    internal static Dictionary<string, string> Environment(string vhost, string prefix, BenchData data) => new()
    {
        ["EPD_RABBITMQ"] = Loopback.RabbitMq(vhost),
        ["EPD_REDIS"] = Loopback.Redis,
        ["EPD_BLOB"] = Loopback.Blob,
        ["EPD_MODEL"] = data.ModelPath,
        ["Epd__Ingest__KeyPrefix"] = prefix,
    };

    /// <summary>The job's own records under its key prefix (the stages delete their token and KV entries themselves).</summary>
    internal static async Task CleanRedisAsync(string prefix)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(Loopback.Redis);
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        foreach (var key in server.Keys(pattern: prefix + "*"))
        {
            await redis.GetDatabase().KeyDeleteAsync(key);
        }
    }

    /// <summary>Deletes the encoder's token-cache entries (mmc:&lt;sha256&gt;-…) of this benchmark's images, and no others.</summary>
    internal static async Task ForgetEncodedMediaAsync(BenchData data)
    {
        var hashes = data.Items.Select(i => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(i.LocalPath)))).ToHashSet();
        await using var redis = await ConnectionMultiplexer.ConnectAsync(Loopback.Redis);
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        foreach (var key in server.Keys(pattern: "mmc:*", pageSize: 1000))
        {
            var name = key.ToString();
            if (name.Length > 4 + 64 && hashes.Contains(name.Substring(4, 64)))
            {
                await redis.GetDatabase().KeyDeleteAsync(key);
            }
        }
    }

}
