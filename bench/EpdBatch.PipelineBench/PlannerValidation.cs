using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EpdBatch.Pipeline.Storage;
using EpdBatch.Planning.Profiles;
using EpdBatch.Planning.Simulation;
using EpdBatch.Planning.Workloads;

namespace EpdBatch.PipelineBench;

/// <summary>
/// <c>--validate-planner</c>: the planner's prediction against the real pipeline on this machine. Takes a profile
/// with <c>epd plan profile</c> (a separate process, transfers timed through the loopback Redis), then for each
/// configuration starts the services as separate processes (ingest, E encoders, prefill, decoder over RabbitMQ,
/// Redis and Azurite), runs an untimed warm-up job and then the job <see cref="BenchOptions.Runs"/> times, and asks
/// the planner's simulator for the same configuration and workload. Measured items/s is each job's completed items
/// over its own wall time (summary.json: creation to export).
/// </summary>
internal static class PlannerValidation
{
    private const int WarmupItems = 6;

    /// <summary>The configurations compared by default: batch sizes and encoder replicas that change what limits the pipeline.</summary>
    public static IReadOnlyList<ValidationSetting> DefaultSettings { get; } =
    [
        new(1, 8, 4, 16),
        new(1, 1, 4, 16),
        new(1, 8, 4, 1),
        new(2, 8, 4, 16),
    ];

    public static async Task<int> RunAsync(BenchOptions options, BenchData data, AzureBlobStore blobs, TextWriter log, string command, JsonObject machine)
    {
        var clock = Stopwatch.StartNew();
        // The profile and the services run with the same torch threads (OMP_NUM_THREADS), so that they measure the same forwards.
        var threads = options.ServiceThreads.Count > 0 ? options.ServiceThreads[0] : ServiceThreads.Parse("default");
        var profilePath = Path.Combine(options.WorkFolder, "validation-profile.json");
        log.WriteLine($"profiling {data.ModelPath} with epd plan profile (load average {MachineLoad.Start().Stop().LoadAvgStart}) ...");
        var profileLoad = MachineLoad.Start();
        var profiled = await EpdProcess.RunAsync(
            ["plan", "profile", "--model", data.ModelPath, "--out", profilePath, "--redis", Loopback.Redis,
             "--encoder-batches", "1,2,4,8", "--prefill-batches", "1,2,4", "--prompt-lengths", "128,256",
             "--decode-batches", "1,2,4,8,16", "--decode-contexts", "128,256,512", "--repeats", "3"],
            threads.EnvironmentFor("encoder"), TimeSpan.FromMinutes(20));
        var profileMachine = profileLoad.Stop();
        if (profiled.ExitCode != 0)
        {
            throw new InvalidOperationException($"epd plan profile exited with {profiled.ExitCode}:\n{profiled.Stdout}\n{profiled.Stderr}");
        }
        log.Write(profiled.Stdout);
        log.WriteLine($"profile took {profiled.Wall.TotalSeconds:F1} s (load average {profileMachine.LoadAvgStart} → {profileMachine.LoadAvgEnd})");
        var profile = StageProfile.Load(profilePath);

        var warmupUri = $"az://{data.Container}/warmup.jsonl";
        await data.WriteManifestAsync(blobs, WarmupItems, warmupUri);

        var measured = new List<(ValidationSetting Setting, List<ValidationRun> Runs)>();
        foreach (var setting in options.ValidationSettings ?? DefaultSettings)
        {
            measured.Add((setting, await MeasureAsync(setting, threads, options.Runs, data, warmupUri, blobs, options.WorkFolder, log)));
        }

        // The workload as the simulator sees it: each item's prompt (template and image tokens included) and output
        // lengths as the first run tokenised and generated them. Lengths, not timings: every run generates the same.
        var first = measured[0].Runs[0].Job;
        var byId = first.Results.ToDictionary(l => l["custom_id"]!.GetValue<string>());
        var items = data.Items.Select(i =>
        {
            var usage = byId[i.CustomId]["response"]!["body"]!["usage"]!;
            var prompt = usage["prompt_tokens"]!.GetValue<int>();
            return new WorkloadItem(1, 0, 0, prompt - profile.TokensPerImage, usage["completion_tokens"]!.GetValue<int>());
        }).ToArray();
        var workload = new Workload($"{items.Length} items of the benchmark manifest, offline", items);

        var rows = new List<ValidationRow>();
        foreach (var (setting, runs) in measured)
        {
            var config = setting.Configuration();
            var shared = new PipelineSimulator(profile).Run(config, workload);
            var separate = new PipelineSimulator(profile, shareDevice: false).Run(config, workload);
            rows.Add(new ValidationRow(setting, shared, separate, runs));
        }

        machine["load_avg_end"] = MachineLoad.Start().Stop().LoadAvgStart;
        machine["validation_seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1);
        var report = Report(command, threads, machine, profile, profiled.Wall.TotalSeconds, profileMachine, workload, rows);
        var jsonPath = options.JsonPath ?? Path.Combine(options.WorkFolder, "planner-validation.json");
        await File.WriteAllTextAsync(jsonPath, Json(machine, profilePath, profileMachine, rows).ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        await File.WriteAllTextAsync(Path.ChangeExtension(jsonPath, ".md"), report);
        log.WriteLine();
        log.WriteLine(report);
        log.WriteLine($"JSON: {jsonPath}");
        return rows.All(r => Math.Abs(r.ErrorPercent) <= 20) ? 0 : 1;
    }

    private static async Task<List<ValidationRun>> MeasureAsync(ValidationSetting setting, ServiceThreads threads, int runs, BenchData data, string warmupUri, AzureBlobStore blobs, string workFolder, TextWriter log)
    {
        var vhost = await Loopback.CreateVhostAsync();
        var prefix = $"epd:bench:{vhost}:";
        var environment = FourProcessRun.Environment(vhost, prefix, data);
        var results = new List<ValidationRun>();
        try
        {
            await using var services = new ServiceProcesses(Path.Combine(workFolder, "logs", vhost), environment);
            await services.StartAsync("ingest");
            for (var e = 0; e < setting.Encoders; e++)
            {
                await services.StartAsync("encoder", Settings("encoder", setting.EncoderBatch));
            }
            await services.StartAsync("prefill", Settings("prefill", setting.PrefillBatch));
            await services.StartAsync("decoder", Settings("decoder", setting.DecoderBatch));
            string Logs() => FourProcessRun.Logs(services);

            // JIT, the first forwards and the connections: once per set of services, untimed.
            await FourProcessRun.ForgetEncodedMediaAsync(data);
            await PipelineJob.RunAsync(warmupUri, $"az://{data.Container}/warmup-{vhost}/", environment, blobs, Logs);
            for (var run = 1; run <= runs; run++)
            {
                await FourProcessRun.ForgetEncodedMediaAsync(data);
                var load = MachineLoad.Start();
                var job = await PipelineJob.RunAsync(data.ManifestUri, $"az://{data.Container}/out-{vhost}-{run}/", environment, blobs, Logs);
                var machine = load.Stop();
                var itemsPerSecond = job.Completed / job.JobWallSeconds;
                log.WriteLine($"  {setting}: run {run}: {job.Completed} ok, {job.Failed} failed, job {job.JobWallSeconds:F2} s, {itemsPerSecond:F3} items/s "
                    + $"(load {machine.LoadAvgStart} → {machine.LoadAvgEnd}, CPU {machine.CpuBusyPercent:F0}% busy)");
                if (job.Failed > 0)
                {
                    throw new InvalidOperationException($"{setting}: {job.Failed} item(s) failed in run {run}\n{Logs()}");
                }
                results.Add(new ValidationRun(run, job, itemsPerSecond, machine));
            }
            await FourProcessRun.CleanRedisAsync(prefix);
            await FourProcessRun.ForgetEncodedMediaAsync(data);
        }
        finally
        {
            await Loopback.DeleteVhostAsync(vhost);
        }
        return results;

        Dictionary<string, string> Settings(string stage, int batch) => new(threads.EnvironmentFor(stage))
        {
            [$"Epd__{char.ToUpperInvariant(stage[0])}{stage[1..]}__MaxBatchSize"] = batch.ToString(CultureInfo.InvariantCulture),
        };
    }

    private static string Report(string command, ServiceThreads threads, JsonObject machine, StageProfile profile, double profileSeconds, MachineLoad profileLoad, Workload workload, IReadOnlyList<ValidationRow> rows)
    {
        var text = new StringBuilder();
        text.AppendLine("## Planner validation");
        text.AppendLine();
        text.AppendLine($"`{command}`");
        text.AppendLine();
        text.AppendLine($"Machine: {machine["cpu"]}, {machine["cores"]} cores; load average {machine["load_avg_start"]} at the start, {machine["load_avg_end"]} at the end; {machine["validation_seconds"]} s in all.");
        text.AppendLine($"Torch threads of the profile and of every service process: {threads.Name}.");
        text.AppendLine($"Profile: {profile.Model} on {profile.Device}, transfers via {profile.TransferProbe}, {profileSeconds:F0} s (load {profileLoad.LoadAvgStart} → {profileLoad.LoadAvgEnd}); "
            + (profile.SharedDevice is { } s ? $"shared device: {s.Cores} cores, {s.Threads} thread(s) per forward." : "no shared device."));
        text.AppendLine($"Workload: {workload.Name}; prompts {workload.Items.Min(i => i.TextTokens) + profile.TokensPerImage}–{workload.Items.Max(i => i.TextTokens) + profile.TokensPerImage} tokens, outputs {workload.Items.Min(i => i.OutputTokens)}–{workload.Items.Max(i => i.OutputTokens)} tokens.");
        text.AppendLine();
        text.AppendLine("| configuration | predicted items/s (shared CPU) | measured items/s (median) | error | runs (items/s) | load avg per run (1 min, start → end) | predicted, a device per replica |");
        text.AppendLine("| --- | ---: | ---: | ---: | --- | --- | ---: |");
        foreach (var r in rows)
        {
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Setting} | {r.Predicted.ItemsPerSecond:F3} | {r.MeasuredMedian:F3} | {r.ErrorPercent:+0.0;-0.0}% | {string.Join(", ", r.Runs.Select(x => x.ItemsPerSecond.ToString("F3", CultureInfo.InvariantCulture)))} | "
                + $"{string.Join("; ", r.Runs.Select(x => $"{First(x.Load.LoadAvgStart)} → {First(x.Load.LoadAvgEnd)}"))} | {r.Separate.ItemsPerSecond:F3} ({r.SeparateErrorPercent:+0;-0}%) |"));
        }
        text.AppendLine();
        text.AppendLine("Error is (predicted − measured) / measured. The last column is the same simulation with a device per replica (no CPU sharing), for comparison.");
        return text.ToString();

        static string First(string loadAvg) => loadAvg.Split(' ')[0];
    }

    private static JsonObject Json(JsonObject machine, string profilePath, MachineLoad profileLoad, IReadOnlyList<ValidationRow> rows) => new()
    {
        ["machine"] = machine.DeepClone(),
        ["profile"] = profilePath,
        ["profile_load"] = new JsonObject { ["start"] = profileLoad.LoadAvgStart, ["end"] = profileLoad.LoadAvgEnd, ["cpu_busy_percent"] = profileLoad.CpuBusyPercent },
        ["configurations"] = new JsonArray([.. rows.Select(r => (JsonNode)new JsonObject
        {
            ["configuration"] = r.Setting.ToString(),
            ["predicted_items_per_second"] = Math.Round(r.Predicted.ItemsPerSecond, 4),
            ["predicted_separate_devices_items_per_second"] = Math.Round(r.Separate.ItemsPerSecond, 4),
            ["measured_median_items_per_second"] = Math.Round(r.MeasuredMedian, 4),
            ["error_percent"] = Math.Round(r.ErrorPercent, 1),
            ["runs"] = new JsonArray([.. r.Runs.Select(x => (JsonNode)new JsonObject
            {
                ["job"] = x.Job.JobId,
                ["job_wall_seconds"] = x.Job.JobWallSeconds,
                ["items_per_second"] = Math.Round(x.ItemsPerSecond, 4),
                ["load_avg_start"] = x.Load.LoadAvgStart,
                ["load_avg_end"] = x.Load.LoadAvgEnd,
                ["cpu_busy_percent"] = x.Load.CpuBusyPercent,
            })]),
        })]),
    };
}
