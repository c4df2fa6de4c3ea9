using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using EpdBatch.Model.Runtime;
using EpdBatch.Pipeline.Storage;
using EpdBatch.PipelineBench;
using Microsoft.Extensions.Options;
using TorchSharp;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

if (options.ProbeThreads)
{
    // Child mode: the torch thread count this process gets from its environment (OMP_NUM_THREADS etc.).
    TorchRuntime.Initialize();
    Console.WriteLine(torch.get_num_threads());
    return 0;
}

var log = Console.Out;
var command = $"dotnet {Path.GetRelativePath(Environment.CurrentDirectory, Path.Combine(AppContext.BaseDirectory, "EpdBatch.PipelineBench.dll"))} {string.Join(' ', args)}";
Directory.CreateDirectory(options.WorkFolder);
var machine = new JsonObject
{
    ["cpu"] = CpuModel(),
    ["cores"] = Environment.ProcessorCount,
    ["os"] = RuntimeInformation.OSDescription,
    ["dotnet"] = RuntimeInformation.FrameworkDescription,
    ["load_avg_start"] = LoadAvg(),
};
log.WriteLine($"machine: {machine["cpu"]}, {Environment.ProcessorCount} cores, load average {machine["load_avg_start"]}");

if (options.Load.Count > 0)
{
    var loadBlobs = new AzureBlobStore(Loopback.Blob, Options.Create(new EpdStorageOptions()), TimeProvider.System);
    var loadData = await BenchData.PrepareAsync(options, loadBlobs, log);
    log.WriteLine($"load test: jobs of {string.Join(", ", options.Load)} items ({options.Shape.Name} model, max_tokens {options.MinTokens}..{options.MaxTokens}, {loadData.Items.Count} images)");
    var loads = new List<LoadResult>();
    foreach (var items in options.Load)
    {
        var result = await LoadRun.RunAsync(items, loadData, loadBlobs, options, log);
        log.WriteLine($"  {items} items: {result.Completed} ok, {result.Failed} failed, {result.CliWallSeconds:F1} s, {result.ItemsPerSecond:F2} items/s, " +
            $"peak Redis keys {result.Peaks.PeakKeys.GetValueOrDefault("total")}, load average {result.Machine.LoadAvgStart} → {result.Machine.LoadAvgEnd}");
        loads.Add(result);
    }
    machine["load_avg_end"] = LoadAvg();
    var loadJson = options.JsonPath ?? Path.Combine(options.WorkFolder, "load-test.json");
    await File.WriteAllTextAsync(loadJson, LoadReport.ToJson(options, command, machine, loads).ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    var loadMarkdown = LoadReport.ToMarkdown(loads);
    await File.WriteAllTextAsync(Path.ChangeExtension(loadJson, ".md"), loadMarkdown);
    log.WriteLine();
    log.WriteLine(loadMarkdown);
    log.WriteLine($"machine load average at start {machine["load_avg_start"]}, at end {machine["load_avg_end"]}");
    log.WriteLine($"JSON: {loadJson}");
    return loads.All(r => r.Completed == r.Items) ? 0 : 1;
}

if (options.ValidatePlanner)
{
    var validationBlobs = new AzureBlobStore(Loopback.Blob, Options.Create(new EpdStorageOptions()), TimeProvider.System);
    var validationData = await BenchData.PrepareAsync(options, validationBlobs, log);
    log.WriteLine($"{validationData.Items.Count} items, manifest {validationData.ManifestUri}, model {validationData.ModelPath}");
    return await PlannerValidation.RunAsync(options, validationData, validationBlobs, log, command, machine);
}

var threadProbe = new JsonObject
{
    ["unset"] = await ProbeThreadsAsync(null),
    ["OMP_NUM_THREADS=1"] = await ProbeThreadsAsync(1),
};
log.WriteLine($"torch threads in a child process: {threadProbe.ToJsonString()}");

var blobs = new AzureBlobStore(Loopback.Blob, Options.Create(new EpdStorageOptions()), TimeProvider.System);
var data = await BenchData.PrepareAsync(options, blobs, log);
log.WriteLine($"{data.Items.Count} items, manifest {data.ManifestUri}, model {data.ModelPath}");

var fourProcess = new List<FourProcessResult>();
var direct = new List<DirectResult>();
var total = Stopwatch.StartNew();
if (options.DirectThreads is { } directThreads)
{
    TorchRuntime.Initialize(threads: directThreads);
}
for (var run = 1; run <= options.Runs; run++)
{
    // Alternate the order, so that a drift in the machine's load does not always favour the same mode.
    if (run % 2 == 0)
    {
        RunDirect(run);
    }
    foreach (var threads in options.ServiceThreads)
    {
        var result = await FourProcessRun.RunAsync(run, data, threads, blobs, options.WorkFolder, log);
        log.WriteLine($"  four processes, threads {result.Threads}: {result.Completed} ok, {result.Failed} failed, {result.CliWallSeconds:F1} s, {result.ItemsPerSecond:F3} items/s (job {result.JobId})");
        fourProcess.Add(result);
    }
    if (run % 2 == 1)
    {
        RunDirect(run);
    }
}
machine["load_avg_end"] = LoadAvg();
machine["benchmark_seconds"] = Math.Round(total.Elapsed.TotalSeconds, 1);

var checks = new List<TokenCheck>();
var (referenceName, referenceTokens) = direct.Count > 0
    ? ($"{direct[0].Mode} run {direct[0].Run}", direct[0].Tokens)
    : ($"four-process run {fourProcess[0].Run} ({fourProcess[0].Threads})", fourProcess[0].Tokens);
foreach (var d in direct.Skip(1))
{
    checks.Add(TokenCheck.Compare($"{d.Mode} run {d.Run}", d.Tokens, referenceName, referenceTokens));
}
foreach (var f in fourProcess.Skip(direct.Count > 0 ? 0 : 1))
{
    checks.Add(TokenCheck.Compare($"four-process run {f.Run} ({f.Threads})", f.Tokens, referenceName, referenceTokens));
}

var report = new BenchReport(options, command, machine, threadProbe, fourProcess, direct, checks);
var jsonPath = options.JsonPath ?? Path.Combine(options.WorkFolder, "pipeline-bench.json");
await File.WriteAllTextAsync(jsonPath, report.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
var markdown = report.ToMarkdown();
await File.WriteAllTextAsync(Path.ChangeExtension(jsonPath, ".md"), markdown);
log.WriteLine();
log.WriteLine(markdown);
log.WriteLine($"machine load average at start {machine["load_avg_start"]}, at end {machine["load_avg_end"]}; benchmark {machine["benchmark_seconds"]} s");
log.WriteLine($"JSON: {jsonPath}");
return checks.All(c => c.Mismatched == 0) ? 0 : 1;

void RunDirect(int run)
{
    foreach (var mode in options.DirectModes)
    {
        var result = mode == "sequential" ? DirectRun.Run(run, data, log) : DirectPipelinedRun.Run(run, data, log);
        log.WriteLine($"  {result.Mode}: {result.WallSeconds:F1} s, {result.ItemsPerSecond:F3} items/s");
        direct.Add(result);
        // The direct run's tensors are freed by GC; collect now, so that the next run starts clean.
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }
}

static string LoadAvg() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

static string CpuModel() => File.Exists("/proc/cpuinfo")
    ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown"
    : "unknown";

static async Task<int> ProbeThreadsAsync(int? threads)
{
    var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
    start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "EpdBatch.PipelineBench.dll"));
    start.ArgumentList.Add("--probe-threads");
    start.Environment.Remove("OMP_NUM_THREADS");
    start.Environment.Remove("MKL_NUM_THREADS");
    if (threads is { } n)
    {
        start.Environment["OMP_NUM_THREADS"] = n.ToString();
        start.Environment["MKL_NUM_THREADS"] = n.ToString();
    }
    using var process = Process.Start(start)!;
    var output = await process.StandardOutput.ReadToEndAsync();
    await process.StandardError.ReadToEndAsync();
    await process.WaitForExitAsync();
    return int.TryParse(output.Trim(), out var count) ? count : -1;
}
