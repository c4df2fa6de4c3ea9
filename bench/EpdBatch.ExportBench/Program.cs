using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EpdBatch.ExportBench;
using EpdBatch.Ingest;
using EpdBatch.Ingest.Coordination;
using EpdBatch.Ingest.Jobs;
using EpdBatch.Pipeline.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

// The ingest's final export of one job, alone: N synthetic outcomes recorded in Redis (in shuffled order), then
// JobExporter.ExportAsync to a local folder or to Azurite, with the process's managed heap sampled meanwhile.
const string Usage = "usage: EpdBatch.ExportBench [--outcomes N (200000)] [--blob local|azurite (local)] [--failed-every K (10)] [--json FILE]";
var outcomes = 200_000;
var blob = "local";
var failedEvery = 10;
string? jsonPath = null;
for (var i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value. {Usage}");
    switch (args[i])
    {
        case "--outcomes": outcomes = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--blob": blob = Next(); break;
        case "--failed-every": failedEvery = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--json": jsonPath = Next(); break;
        case "--help" or "-h": Console.WriteLine(Usage); return 0;
        default: Console.Error.WriteLine($"Unknown argument {args[i]}. {Usage}"); return 2;
    }
}

if (blob is not ("local" or "azurite") || outcomes < 1 || failedEvery < 1)
{
    Console.Error.WriteLine(Usage);
    return 2;
}

var run = "exportbench-" + Guid.NewGuid().ToString("N")[..10];
var prefix = $"epdbench:{run}:";
using var redis = await ConnectionMultiplexer.ConnectAsync("127.0.0.1:6379");
var ingestOptions = Options.Create(new IngestOptions { KeyPrefix = prefix });
var store = new RedisJobStore(redis, ingestOptions);
var localRoot = Path.Combine(Path.GetTempPath(), run);
IBlobStore blobs = blob == "local"
    ? new LocalFolderStore(localRoot)
    : new AzureBlobStore("UseDevelopmentStorage=true", Options.Create(new EpdStorageOptions()), TimeProvider.System);
var outputUri = blob == "local" ? "out" : $"az://epd-export-bench/{run}";

try
{
    // A fixed job id and fixed times, so that two runs (of two versions of the exporter) write the same bytes.
    var createdAt = new DateTimeOffset(2026, 11, 25, 2, 0, 0, TimeSpan.Zero);
    var job = new JobRecord
    {
        Id = "exportbench",
        State = JobState.InProgress,
        ManifestUri = "az://in/manifest.jsonl",
        OutputUri = outputUri,
        Model = "llava-bench",
        DefaultMaxTokens = 64,
        IdempotencyKey = "exportbench",
        CreatedAt = createdAt,
        StateTimes = new Dictionary<JobState, DateTimeOffset> { [JobState.Validating] = createdAt, [JobState.InProgress] = createdAt },
    };
    await store.CreateAsync(job, CancellationToken.None);
    var jobId = job.Id;

    var clock = Stopwatch.StartNew();
    await SyntheticOutcomes.RecordAsync(store, jobId, outcomes, failedEvery, createdAt);
    await store.SetValidatedAsync(jobId, outcomes, outcomes, "native", CancellationToken.None);
    job = (await store.GetAsync(jobId, CancellationToken.None))!;
    Console.WriteLine($"recorded {outcomes} outcomes ({job.Completed} completed, {job.Failed} failed) in {clock.Elapsed.TotalSeconds:F1} s");

    var exporter = new JobExporter(store, blobs, ingestOptions, NullLogger<JobExporter>.Instance);
    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    GC.WaitForPendingFinalizers();
    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    var baseline = GC.GetTotalMemory(forceFullCollection: false);
    var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
    var gen2Before = GC.CollectionCount(2);
    // Writing 5 to clear_refs resets this process's peak resident size (VmHWM), so that the peak read after the
    // export is the export's, not that of recording the outcomes.
    await File.WriteAllTextAsync("/proc/self/clear_refs", "5");
    var rssBefore = ProcStatusKb("VmRSS:");

    clock.Restart();
    using (var sampler = new ManagedHeapSampler())
    {
        await exporter.ExportAsync(job, JobState.Completed, createdAt.AddHours(1), CancellationToken.None);
        clock.Stop();
        var peak = sampler.Stop();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var gen2 = GC.CollectionCount(2) - gen2Before;
        var hwm = ProcStatusKb("VmHWM:");

        var results = await blobs.ReadAsync(job.OutputFolder + JobExporter.ResultsFile, CancellationToken.None);
        var errors = await blobs.ReadAsync(job.OutputFolder + JobExporter.ErrorsFile, CancellationToken.None);
        // The summary names the output folder, which differs per run: left out of its hash.
        var summary = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(await blobs.ReadAsync(job.OutputFolder + JobExporter.SummaryFile, CancellationToken.None))
            .Replace(job.OutputFolder, "<output>", StringComparison.Ordinal));
        var figures = new JsonObject
        {
            ["outcomes"] = outcomes,
            ["completed"] = job.Completed,
            ["failed"] = job.Failed,
            ["blob"] = blob,
            ["results_jsonl_bytes"] = results.LongLength,
            ["errors_jsonl_bytes"] = errors.LongLength,
            ["results_sha256"] = Convert.ToHexStringLower(SHA256.HashData(results)),
            ["errors_sha256"] = Convert.ToHexStringLower(SHA256.HashData(errors)),
            ["summary_sha256"] = Convert.ToHexStringLower(SHA256.HashData(summary)),
            ["export_seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 2),
            ["managed_heap_baseline_mib"] = Mib(baseline),
            ["managed_heap_peak_mib"] = Mib(peak.PeakBytes),
            ["managed_heap_peak_above_baseline_mib"] = Mib(peak.PeakBytes - baseline),
            ["heap_samples"] = peak.Samples,
            ["allocated_mib"] = Mib(allocated),
            ["gen2_collections"] = gen2,
            ["rss_before_mib"] = rssBefore / 1024,
            ["rss_peak_mib"] = hwm / 1024,
            ["cores"] = Environment.ProcessorCount,
            ["load_avg"] = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : null,
            ["dotnet"] = RuntimeInformation.FrameworkDescription,
            ["gc"] = System.Runtime.GCSettings.IsServerGC ? "server" : "workstation",
        };
        Console.WriteLine(figures.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        if (jsonPath is not null)
        {
            await File.WriteAllTextAsync(jsonPath, figures.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        }
    }

    return 0;
}
finally
{
    var server = redis.GetServers()[0];
    var keys = server.Keys(pattern: prefix + "*").ToArray();
    if (keys.Length > 0)
    {
        await redis.GetDatabase().KeyDeleteAsync(keys);
    }

    await foreach (var uri in blobs.ListAsync(outputUri + "/", CancellationToken.None))
    {
        await blobs.DeleteAsync(uri, CancellationToken.None);
    }

    if (Directory.Exists(localRoot))
    {
        Directory.Delete(localRoot, recursive: true);
    }
}

static double Mib(long bytes) => Math.Round(bytes / 1048576.0, 1);

static long ProcStatusKb(string field)
{
    foreach (var line in File.ReadLines("/proc/self/status"))
    {
        if (line.StartsWith(field, StringComparison.Ordinal))
        {
            return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
    }

    return 0;
}
