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
/// with <c>epd plan profile</c> (a separate process, transfers timed through the loopback Redis). Then a
/// calibration pass: a configuration that is not among the validated ones runs the job, and the CPU its processes
/// and the loopback servers used beyond the profile's forwards becomes the profile's <see cref="ServiceCost"/> (the
/// services' own CPU per item). Then for each configuration it starts the services as separate processes (ingest,
/// E encoders, prefill, decoder over RabbitMQ, Redis and Azurite), runs the job twice untimed (JIT, the first
/// forwards of each shape, connections), then <see cref="BenchOptions.Runs"/> times, and asks the planner's
/// simulator for the same configuration and workload. Measured items/s is each job's completed items over its own
/// wall time (summary.json: creation to export).
/// </summary>
internal static class PlannerValidation
{
    /// <summary>The calibration configuration: batch sizes between the validated ones, so that none of them is fitted.</summary>
    private static readonly ValidationSetting s_calibration = new(1, 4, 2, 8);

    /// <summary>Untimed runs of the whole job before the timed ones, per set of services.</summary>
    private const int WarmupJobs = 2;

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
            threads.EnvironmentFor("encoder"), timeout: TimeSpan.FromMinutes(20));
        var profileMachine = profileLoad.Stop();
        if (profiled.ExitCode != 0)
        {
            throw new InvalidOperationException($"epd plan profile exited with {profiled.ExitCode}:\n{profiled.Stdout}\n{profiled.Stderr}");
        }
        log.Write(profiled.Stdout);
        log.WriteLine($"profile took {profiled.Wall.TotalSeconds:F1} s (load average {profileMachine.LoadAvgStart} → {profileMachine.LoadAvgEnd})");
        var profile = StageProfile.Load(profilePath);

        log.WriteLine($"calibration: {s_calibration} ...");
        var clientStart = new double[1];
        var calibrationRuns = await MeasureAsync(s_calibration, threads, 3, data, blobs, options.WorkFolder, log, clientStart);

        // The workload as the simulator sees it: each item's prompt (template and image tokens included) and output
        // lengths as the first run tokenised and generated them. Lengths, not timings: every run generates the same.
        var first = calibrationRuns[0].Job;
        var byId = first.Results.ToDictionary(l => l["custom_id"]!.GetValue<string>());
        var items = data.Items.Select(i =>
        {
            var usage = byId[i.CustomId]["response"]!["body"]!["usage"]!;
            var prompt = usage["prompt_tokens"]!.GetValue<int>();
            return new WorkloadItem(1, 0, 0, prompt - profile.TokensPerImage, usage["completion_tokens"]!.GetValue<int>());
        }).ToArray();
        var workload = new Workload($"{items.Length} items of the benchmark manifest, offline", items);

        var serviceCost = Calibrate(profile, workload, calibrationRuns, clientStart[0], log);
        var calibrated = profile with { ServiceCost = serviceCost };
        var calibratedPath = Path.Combine(options.WorkFolder, "validation-profile-calibrated.json");
        calibrated.Save(calibratedPath);
        log.WriteLine($"calibrated profile: {calibratedPath}");

        var measured = new List<(ValidationSetting Setting, List<ValidationRun> Runs)>();
        foreach (var setting in options.ValidationSettings ?? DefaultSettings)
        {
            measured.Add((setting, await MeasureAsync(setting, threads, options.Runs, data, blobs, options.WorkFolder, log)));
        }

        var rows = new List<ValidationRow>();
        foreach (var (setting, runs) in measured)
        {
            var config = setting.Configuration();
            var predicted = new PipelineSimulator(calibrated).Run(config, workload);
            var forwardsOnly = new PipelineSimulator(profile).Run(config, workload);
            var separate = new PipelineSimulator(profile, shareDevice: false).Run(config, workload);
            rows.Add(new ValidationRow(setting, predicted, forwardsOnly, separate, runs));
        }

        machine["load_avg_end"] = MachineLoad.Start().Stop().LoadAvgStart;
        machine["validation_seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1);
        var report = Report(command, threads, machine, profile, profiled.Wall.TotalSeconds, profileMachine, workload, serviceCost, calibrationRuns, rows);
        var jsonPath = options.JsonPath ?? Path.Combine(options.WorkFolder, "planner-validation.json");
        await File.WriteAllTextAsync(jsonPath, Json(machine, profilePath, profileMachine, serviceCost, calibrationRuns, rows).ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        await File.WriteAllTextAsync(Path.ChangeExtension(jsonPath, ".md"), report);
        log.WriteLine();
        log.WriteLine(report);
        log.WriteLine($"JSON: {jsonPath}");
        return rows.All(r => Math.Abs(r.ErrorPercent) <= 20) ? 0 : 1;
    }

    /// <summary>
    /// The services' own CPU per item from the calibration runs (the median of each part): each stage's processes'
    /// CPU beyond its forwards' work as the simulator counts it for the same configuration and workload on the
    /// profile, and the ingest's and the loopback servers' CPU (everything else the job runs). With one torch thread
    /// per process a forward's work in seconds is its CPU seconds. The client counts only beyond
    /// <paramref name="clientStartSeconds"/>, its CPU for a job that ends at once: start-up and submission come
    /// before the job's clock starts, its polling while the job runs does not.
    /// </summary>
    private static ServiceCost Calibrate(StageProfile profile, Workload workload, IReadOnlyList<ValidationRun> runs, double clientStartSeconds, TextWriter log)
    {
        var forwards = new PipelineSimulator(profile).Run(s_calibration.Configuration(), workload);
        double Work(PipelineStage stage) => forwards.Stage(stage).WorkSeconds;
        var n = workload.Items.Count;
        double Median(Func<ValidationRun, double> part) => BenchReport.ExactMedian(runs.Select(part));
        var cost = new ServiceCost(
            Median(r => Math.Max(0, r.Cpu.Encoder - Work(PipelineStage.Encode)) / n),
            Median(r => Math.Max(0, r.Cpu.Prefill - Work(PipelineStage.Prefill)) / n),
            Median(r => Math.Max(0, r.Cpu.Decoder - Work(PipelineStage.Decode)) / n),
            Median(r => (r.Cpu.Ingest + r.Cpu.Servers + Math.Max(0, r.Cpu.Client - clientStartSeconds)) / n))
        {
            Source = $"calibrated on {s_calibration} ({runs.Count} runs of {n} items): process CPU beyond the profile's forwards",
        };
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"calibration: forwards' work per item (profile) encoder {Work(PipelineStage.Encode) / n:F3} s, prefill {Work(PipelineStage.Prefill) / n:F3} s, decoder {Work(PipelineStage.Decode) / n:F3} s"));
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"calibration: service CPU per item encoder {cost.EncoderSeconds:F3} s, prefill {cost.PrefillSeconds:F3} s, decoder {cost.DecoderSeconds:F3} s, ingest + servers + client while the job runs {cost.OtherSeconds:F3} s (client start-up and submission {clientStartSeconds:F2} s a job, not counted)"));
        return cost;
    }

    private static async Task<List<ValidationRun>> MeasureAsync(ValidationSetting setting, ServiceThreads threads, int runs, BenchData data, AzureBlobStore blobs, string workFolder, TextWriter log, double[]? clientStart = null)
    {
        var vhost = await Loopback.CreateVhostAsync("epd-bench");
        var prefix = $"epd:bench:{vhost}:";
        var environment = FourProcessRun.Environment(vhost, prefix, data);
        var results = new List<ValidationRun>();
        try
        {
            await using var services = new ServiceProcesses(Path.Combine(workFolder, "logs", vhost), environment, readyWithin: TimeSpan.FromMinutes(3));
            await services.StartAsync("ingest");
            for (var e = 0; e < setting.Encoders; e++)
            {
                await services.StartAsync("encoder", Settings("encoder", setting.EncoderBatch));
            }
            await services.StartAsync("prefill", Settings("prefill", setting.PrefillBatch));
            await services.StartAsync("decoder", Settings("decoder", setting.DecoderBatch));
            string Logs() => services.LogTails();

            // JIT, the first forward of each shape (the runtime's kernels are picked per shape) and the connections:
            // the whole job twice per set of services, untimed. With a 6-item warm-up the first timed runs were 30-50%
            // slower than the third, and with one whole job still 10-25% (25 Nov 2026).
            for (var warmup = 1; warmup <= WarmupJobs; warmup++)
            {
                await FourProcessRun.ForgetEncodedMediaAsync(data);
                await PipelineJob.RunAsync(data.ManifestUri, $"az://{data.Container}/warmup-{vhost}-{warmup}/", environment, blobs, Logs);
            }
            var servers = ProcessCpu.Servers();
            if (clientStart is not null)
            {
                // The client's CPU for a job that fails at once (its manifest does not exist): start-up, connections, submission.
                var cheapest = double.PositiveInfinity;
                for (var i = 0; i < 2; i++)
                {
                    var before = ProcessCpu.ExitedChildrenSeconds();
                    await EpdProcess.RunAsync(["run", $"az://{data.Container}/no-such-manifest.jsonl", "--out", $"az://{data.Container}/none-{vhost}/"], environment, timeout: TimeSpan.FromMinutes(2));
                    cheapest = Math.Min(cheapest, ProcessCpu.ExitedChildrenSeconds() - before);
                }
                clientStart[0] = cheapest;
                log.WriteLine($"  client start-up and submission: {cheapest:F2} CPU s (epd run of a manifest that does not exist, the cheaper of 2)");
            }
            for (var run = 1; run <= runs; run++)
            {
                await FourProcessRun.ForgetEncodedMediaAsync(data);
                var before = services.CpuTimes();
                var serversBefore = ProcessCpu.Seconds(servers);
                var clientBefore = ProcessCpu.ExitedChildrenSeconds();
                var load = MachineLoad.Start();
                var job = await PipelineJob.RunAsync(data.ManifestUri, $"az://{data.Container}/out-{vhost}-{run}/", environment, blobs, Logs);
                var machine = load.Stop();
                var after = services.CpuTimes();
                double Stage(string stage) => after.Where(p => p.Key.StartsWith(stage + "-", StringComparison.Ordinal)).Sum(p => (p.Value - before[p.Key]).TotalSeconds);
                // Every figure covers the same window: the client's whole run (its start-up and submission included).
                var cpu = new RunCpu(Stage("encoder"), Stage("prefill"), Stage("decoder"), Stage("ingest"), ProcessCpu.Seconds(servers) - serversBefore, ProcessCpu.ExitedChildrenSeconds() - clientBefore,
                    machine.CpuBusyPercent / 100 * System.Environment.ProcessorCount * machine.WallSeconds);
                var itemsPerSecond = job.Completed / job.JobWallSeconds;
                log.WriteLine($"  {setting}: run {run}: {job.Completed} ok, {job.Failed} failed, job {job.JobWallSeconds:F2} s, {itemsPerSecond:F3} items/s "
                    + $"(load {machine.LoadAvgStart} → {machine.LoadAvgEnd}, CPU {machine.CpuBusyPercent:F0}% busy); {cpu.PerItem(job.Completed)}");
                if (job.Failed > 0)
                {
                    throw new InvalidOperationException($"{setting}: {job.Failed} item(s) failed in run {run}\n{Logs()}");
                }
                results.Add(new ValidationRun(run, job, itemsPerSecond, machine, cpu));
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

    private static string Report(string command, ServiceThreads threads, JsonObject machine, StageProfile profile, double profileSeconds, MachineLoad profileLoad, Workload workload,
        ServiceCost serviceCost, IReadOnlyList<ValidationRun> calibration, IReadOnlyList<ValidationRow> rows)
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
        text.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Calibration ({s_calibration}, {calibration.Count} runs: {string.Join(", ", calibration.Select(r => r.ItemsPerSecond.ToString("F3", CultureInfo.InvariantCulture)))} items/s): services' own CPU per item "
            + $"encoder {serviceCost.EncoderSeconds:F3} s, prefill {serviceCost.PrefillSeconds:F3} s, decoder {serviceCost.DecoderSeconds:F3} s, ingest + servers + client {serviceCost.OtherSeconds:F3} s."));
        text.AppendLine();
        text.AppendLine("| configuration | predicted items/s | measured items/s (median) | error | runs (items/s) | load avg per run (1 min, start → end) | machine CPU s/item (median) | forwards only | a device per replica |");
        text.AppendLine("| --- | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: |");
        foreach (var r in rows)
        {
            var cpuPerItem = BenchReport.ExactMedian(r.Runs.Select(x => x.Cpu.Machine / x.Job.Completed));
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Setting} | {r.Predicted.ItemsPerSecond:F3} | {r.MeasuredMedian:F3} | {r.ErrorPercent:+0.0;-0.0}% | {string.Join(", ", r.Runs.Select(x => x.ItemsPerSecond.ToString("F3", CultureInfo.InvariantCulture)))} | "
                + $"{string.Join("; ", r.Runs.Select(x => $"{First(x.Load.LoadAvgStart)} → {First(x.Load.LoadAvgEnd)}"))} | {cpuPerItem:F3} | "
                + $"{r.ForwardsOnly.ItemsPerSecond:F3} ({r.ForwardsOnlyErrorPercent:+0;-0}%) | {r.Separate.ItemsPerSecond:F3} ({r.SeparateErrorPercent:+0;-0}%) |"));
        }
        text.AppendLine();
        text.AppendLine("Error is (predicted − measured) / measured. Predicted: the shared CPU with the calibrated services' CPU per item. "
            + "The last two columns are simpler models for comparison: the forwards alone on the shared CPU, and a device per replica.");
        return text.ToString();

        static string First(string loadAvg) => loadAvg.Split(' ')[0];
    }

    private static JsonObject Cpu(ValidationRun run) => new()
    {
        ["encoder_seconds"] = Math.Round(run.Cpu.Encoder, 2),
        ["prefill_seconds"] = Math.Round(run.Cpu.Prefill, 2),
        ["decoder_seconds"] = Math.Round(run.Cpu.Decoder, 2),
        ["ingest_seconds"] = Math.Round(run.Cpu.Ingest, 2),
        ["servers_seconds"] = Math.Round(run.Cpu.Servers, 2),
        ["client_seconds"] = Math.Round(run.Cpu.Client, 2),
        ["machine_seconds"] = Math.Round(run.Cpu.Machine, 2),
    };

    private static JsonObject RunJson(ValidationRun x) => new()
    {
        ["job"] = x.Job.JobId,
        ["job_wall_seconds"] = x.Job.JobWallSeconds,
        ["items_per_second"] = Math.Round(x.ItemsPerSecond, 4),
        ["load_avg_start"] = x.Load.LoadAvgStart,
        ["load_avg_end"] = x.Load.LoadAvgEnd,
        ["cpu_busy_percent"] = x.Load.CpuBusyPercent,
        ["cpu"] = Cpu(x),
    };

    private static JsonObject Json(JsonObject machine, string profilePath, MachineLoad profileLoad, ServiceCost serviceCost, IReadOnlyList<ValidationRun> calibration, IReadOnlyList<ValidationRow> rows) => new()
    {
        ["machine"] = machine.DeepClone(),
        ["profile"] = profilePath,
        ["profile_load"] = new JsonObject { ["start"] = profileLoad.LoadAvgStart, ["end"] = profileLoad.LoadAvgEnd, ["cpu_busy_percent"] = profileLoad.CpuBusyPercent },
        ["calibration"] = new JsonObject
        {
            ["configuration"] = s_calibration.ToString(),
            ["service_cost_seconds_per_item"] = new JsonObject
            {
                ["encoder"] = Math.Round(serviceCost.EncoderSeconds, 4),
                ["prefill"] = Math.Round(serviceCost.PrefillSeconds, 4),
                ["decoder"] = Math.Round(serviceCost.DecoderSeconds, 4),
                ["other"] = Math.Round(serviceCost.OtherSeconds, 4),
            },
            ["runs"] = new JsonArray([.. calibration.Select(x => (JsonNode)RunJson(x))]),
        },
        ["configurations"] = new JsonArray([.. rows.Select(r => (JsonNode)new JsonObject
        {
            ["configuration"] = r.Setting.ToString(),
            ["predicted_items_per_second"] = Math.Round(r.Predicted.ItemsPerSecond, 4),
            ["predicted_forwards_only_items_per_second"] = Math.Round(r.ForwardsOnly.ItemsPerSecond, 4),
            ["predicted_separate_devices_items_per_second"] = Math.Round(r.Separate.ItemsPerSecond, 4),
            ["measured_median_items_per_second"] = Math.Round(r.MeasuredMedian, 4),
            ["error_percent"] = Math.Round(r.ErrorPercent, 1),
            ["runs"] = new JsonArray([.. r.Runs.Select(x => (JsonNode)RunJson(x))]),
        })]),
    };
}
