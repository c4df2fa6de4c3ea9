using System.CommandLine;
using System.Globalization;
using EpdBatch.Model.Runtime;
using EpdBatch.Pipeline.Storage;
using EpdBatch.Planning.Profiles;
using EpdBatch.Planning.Reporting;
using EpdBatch.Planning.Search;
using EpdBatch.Planning.Simulation;
using EpdBatch.Planning.Workloads;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace EpdBatch.Cli.Commands;

/// <summary>
/// <c>epd plan</c>: profile the stages on this device, simulate the pipeline, and search the E/P/D split and batch
/// sizes for a GPU budget. <c>epd plan --gpus N ...</c> is <c>epd plan search --gpus N ...</c>.
/// </summary>
internal static class PlanCommand
{
    public static Command Create()
    {
        var search = new SearchOptionSet();
        var command = new Command("plan", "Plan the E/P/D replicas and batch sizes for a GPU budget: profile, simulate, search (plan --gpus N ... is plan search)")
        {
            CreateProfile(),
            CreateSimulate(),
            CreateSearch(),
        };
        search.AddTo(command, gpusRequired: false);
        command.SetAction(parse =>
        {
            if (parse.GetValue(search.Gpus) is null)
            {
                Console.Error.WriteLine("epd plan: give a subcommand (profile, simulate, search) or --gpus N for a search; epd plan --help lists them");
                return ExitCodes.InvalidInput;
            }
            return search.Run(parse);
        });
        return command;
    }

    private static Command CreateSearch()
    {
        var search = new SearchOptionSet();
        var command = new Command("search", "Simulate every split of N GPUs into encoders, prefill and decoders (and colocated baselines) with batch sizes from a grid; print the best and write the best deployable one's settings");
        search.AddTo(command, gpusRequired: true);
        command.SetAction(search.Run);
        return command;
    }

    private static Command CreateProfile()
    {
        var model = CommonOptions.Model(required: false);
        var analytic = new Option<string?>("--analytic")
        {
            Description = $"Write a roofline estimate instead of measuring: {string.Join(", ", AnalyticProfile.BuiltIn.Keys)}",
        };
        var output = new Option<string>("--out", "-o") { Description = "Profile JSON to write", DefaultValueFactory = _ => "profile.json" };
        var memory = new Option<double?>("--device-memory-gb") { Description = "Usable memory per device in GB, for the planner's memory check (default: unknown, no check)" };
        var encoderBatches = new Option<string?>("--encoder-batches") { Description = "Images per encoder forward to time (default 1,2,4,8,16)" };
        var prefillBatches = new Option<string?>("--prefill-batches") { Description = "Sequences per prefill forward (default 1,2,4,8)" };
        var promptLengths = new Option<string?>("--prompt-lengths") { Description = "Prompt tokens (default 32,64,128,256)" };
        var decodeBatches = new Option<string?>("--decode-batches") { Description = "Sequences per decode step (default 1,2,4,8,16,32)" };
        var decodeContexts = new Option<string?>("--decode-contexts") { Description = "Context lengths of a decode step (default 64,128,256)" };
        var repeats = new Option<int>("--repeats") { Description = "Timed runs per point; the profile keeps the fastest", DefaultValueFactory = _ => 5 };
        var redis = new Option<string?>("--redis")
        {
            Description = "Time hand-offs through this Redis (the distributed pipeline's tensor store), e.g. 127.0.0.1:6379; default EPD_REDIS, else an in-process copy (the embedded pipeline's)",
        };
        var device = CommonOptions.Device();
        var dtype = CommonOptions.DType();
        var libtorch = CommonOptions.LibTorch();
        var verbose = CommonOptions.Verbose();
        var command = new Command("profile", "Measure each stage's cost on this device with the real model runtime (or write an analytic estimate) and save it as JSON")
        {
            model, analytic, output, memory, encoderBatches, prefillBatches, promptLengths, decodeBatches, decodeContexts, repeats, redis, device, dtype, libtorch, verbose,
        };
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                StageProfile profile;
                if (parse.GetValue(analytic) is { } name)
                {
                    profile = AnalyticProfile.BuiltIn.TryGetValue(name, out var spec)
                        ? AnalyticProfile.Create(spec)
                        : throw new ArgumentException($"--analytic: unknown profile '{name}' (known: {string.Join(", ", AnalyticProfile.BuiltIn.Keys)})");
                }
                else
                {
                    var folder = parse.GetValue(model) ?? Environment.GetEnvironmentVariable("EPD_MODEL")
                        ?? throw new ArgumentException("--model is required (or set EPD_MODEL), unless --analytic is given");
                    TorchRuntime.Initialize(parse.GetValue(libtorch));
                    var defaults = new ProfilerOptions();
                    var options = defaults with
                    {
                        Runtime = new RuntimeOptions { Device = parse.GetValue(device) ?? "cpu", DType = parse.GetValue(dtype) },
                        EncoderBatches = Ints(parse.GetValue(encoderBatches), "--encoder-batches") ?? defaults.EncoderBatches,
                        PrefillBatches = Ints(parse.GetValue(prefillBatches), "--prefill-batches") ?? defaults.PrefillBatches,
                        PromptLengths = Ints(parse.GetValue(promptLengths), "--prompt-lengths") ?? defaults.PromptLengths,
                        DecodeBatches = Ints(parse.GetValue(decodeBatches), "--decode-batches") ?? defaults.DecodeBatches,
                        DecodeContexts = Ints(parse.GetValue(decodeContexts), "--decode-contexts") ?? defaults.DecodeContexts,
                        Repeats = parse.GetValue(repeats),
                        DeviceMemoryBytes = parse.GetValue(memory) is { } gb ? (long)(gb * 1e9) : 0,
                    };
                    var redisConfiguration = parse.GetValue(redis) ?? Environment.GetEnvironmentVariable("EPD_REDIS");
                    await using var connection = string.IsNullOrWhiteSpace(redisConfiguration) ? null : await ConnectionMultiplexer.ConnectAsync(redisConfiguration);
                    ITransferProbe? probe = connection is null
                        ? null
                        : new TensorStoreTransferProbe(new RedisTensorStore(connection, Options.Create(new EpdStorageOptions()), TimeProvider.System), "redis");
                    // Progress goes to stderr so that stdout carries only the report.
                    profile = await new Profiler(options, probe).RunAsync(folder, new SyncProgress(line => Console.Error.WriteLine(line)), ct);
                }
                var path = parse.GetValue(output)!;
                profile.Save(path);
                Console.Out.Write(PlanReport.FormatProfile(profile));
                Console.Out.WriteLine($"wrote {path}");
                return ExitCodes.Ok;
            }
            catch (Exception e)
            {
                return CliErrors.Report(e, parse.GetValue(verbose));
            }
        });
        return command;
    }

    private static Command CreateSimulate()
    {
        var profile = ProfileOption();
        var layout = new Option<string?>("--layout") { Description = "Layout instead of the counts, e.g. 3E+2P+3D, 8xEPD (colocated), 5xEP+3D, 2E+6xPD" };
        var encoders = new Option<int>("--encoders", "-E") { Description = "Encoder replicas (GPUs)", DefaultValueFactory = _ => 1 };
        var prefills = new Option<int>("--prefills", "-P") { Description = "Prefill replicas (GPUs)", DefaultValueFactory = _ => 1 };
        var decoders = new Option<int>("--decoders", "-D") { Description = "Decoder replicas (GPUs)", DefaultValueFactory = _ => 1 };
        var encoderBatch = new Option<int>("--encoder-batch") { Description = "Encoder MaxBatchSize (items per forward)", DefaultValueFactory = _ => 8 };
        var prefillBatch = new Option<int>("--prefill-batch") { Description = "Prefill MaxBatchSize (items per forward)", DefaultValueFactory = _ => 4 };
        var decoderBatch = new Option<int>("--decoder-batch") { Description = "Decoder MaxBatchSize (sequences decoded together)", DefaultValueFactory = _ => 16 };
        var wait = BatchWaitOption();
        var ttft = new Option<double?>("--ttft-ms") { Description = "TTFT target, for goodput" };
        var tpot = new Option<double?>("--tpot-ms") { Description = "TPOT target, for goodput" };
        var devices = new Option<string>("--devices")
        {
            Description = "auto (shared where the profile measured a shared CPU), shared (every replica on one device, as stage processes on one CPU machine) or separate (a device per replica)",
            DefaultValueFactory = _ => "auto",
        };
        var workload = new WorkloadOptionSet();
        var verbose = CommonOptions.Verbose();
        var command = new Command("simulate", "Simulate one configuration of the pipeline on a profile's costs for a workload")
        {
            profile, layout, encoders, prefills, decoders, encoderBatch, prefillBatch, decoderBatch, wait, ttft, tpot, devices, verbose,
        };
        workload.AddTo(command);
        command.SetAction(parse =>
        {
            try
            {
                var stages = LoadProfile(parse.GetValue(profile)!);
                var waitSeconds = parse.GetValue(wait) / 1000.0;
                var config = new PipelineConfiguration(
                    parse.GetValue(layout) is { } text
                        ? Layout.Parse(text)
                        : Layout.Disaggregated(parse.GetValue(encoders), parse.GetValue(prefills), parse.GetValue(decoders)),
                    new BatchPolicy(parse.GetValue(encoderBatch), waitSeconds),
                    new BatchPolicy(parse.GetValue(prefillBatch), waitSeconds),
                    parse.GetValue(decoderBatch));
                var targets = Targets(parse.GetValue(ttft), parse.GetValue(tpot));
                bool? share = parse.GetValue(devices) switch
                {
                    "auto" => null,
                    "shared" => true,
                    "separate" => false,
                    var other => throw new ArgumentException($"--devices: '{other}' is not one of auto, shared, separate"),
                };
                var result = new PipelineSimulator(stages, share).Run(config, workload.Build(parse), targets);
                Console.Out.WriteLine($"workload: {workload.Build(parse).Name}");
                Console.Out.Write(PlanReport.FormatSimulation(result));
                return ExitCodes.Ok;
            }
            catch (Exception e)
            {
                return CliErrors.Report(e, parse.GetValue(verbose));
            }
        });
        return command;
    }

    private static Option<string> ProfileOption() => new("--profile")
    {
        Description = "Stage profile JSON (epd plan profile writes one; --analytic NAME writes an estimate for hardware not at hand)",
        Required = true,
    };

    private static Option<double> BatchWaitOption() => new("--batch-wait-ms")
    {
        Description = "MaxBatchWaitMs of encoder and prefill: how long a partial batch waits to fill",
        DefaultValueFactory = _ => 20,
    };

    private static StageProfile LoadProfile(string path) => StageProfile.Load(path);

    private static ServiceTargets? Targets(double? ttftMs, double? tpotMs)
    {
        if (ttftMs is null && tpotMs is null)
        {
            return null;
        }
        return new ServiceTargets((ttftMs ?? double.PositiveInfinity) / 1000, (tpotMs ?? double.PositiveInfinity) / 1000);
    }

    private static int[]? Ints(string? text, string option) => text is null ? null : CommonOptions.ParseIds(text, option);

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool and reorder lines).</summary>
    private sealed class SyncProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }

    /// <summary>The workload options simulate and search share: a synthetic workload or a manifest's items.</summary>
    private sealed class WorkloadOptionSet
    {
        private readonly Option<string> _kind = new("--workload") { Description = "synthetic (the options below) or use --workload-manifest", DefaultValueFactory = _ => "synthetic" };
        private readonly Option<string?> _manifest = new("--workload-manifest") { Description = "A manifest (native or OpenAI batch JSONL): one item per line, prompt tokens estimated as characters / 4" };
        private readonly Option<int> _images = new("--images-per-item") { Description = "Synthetic: images per item", DefaultValueFactory = _ => 1 };
        private readonly Option<int> _imageSize = new("--image-size") { Description = "Longest image side in pixels (default: the vision tower's resolution); tiling models split larger images into tiles" };
        private readonly Option<int?> _frames = new("--video-frames") { Description = "Synthetic: frames of a video per item (default none); manifest: frames sampled per video (default 8)" };
        private readonly Option<int> _promptTokens = new("--prompt-tokens") { Description = "Synthetic: text prompt tokens per item", DefaultValueFactory = _ => 64 };
        private readonly Option<int> _outputTokens = new("--output-tokens") { Description = "Synthetic: output tokens per item", DefaultValueFactory = _ => 64 };
        private readonly Option<int> _items = new("--items") { Description = "Synthetic: items in the job", DefaultValueFactory = _ => 1000 };
        private readonly Option<int?> _maxTokens = new("--default-max-tokens") { Description = "Manifest: max_tokens of lines that give none (default 256, as the ingest)" };
        private readonly Option<double?> _rate = new("--rate") { Description = "Online: Poisson arrivals at this many items per second (default: offline, all queued at the start)" };
        private readonly Option<int> _seed = new("--seed") { Description = "Seed of the arrivals", DefaultValueFactory = _ => 1 };

        public void AddTo(Command command)
        {
            foreach (var option in new Option[] { _kind, _manifest, _images, _imageSize, _frames, _promptTokens, _outputTokens, _items, _maxTokens, _rate, _seed })
            {
                command.Options.Add(option);
            }
        }

        public Workload Build(ParseResult parse)
        {
            var rate = parse.GetValue(_rate);
            if (parse.GetValue(_manifest) is { } path)
            {
                var manifest = new ManifestWorkload
                {
                    ImageSize = parse.GetValue(_imageSize),
                    VideoFrames = parse.GetValue(_frames) ?? 8,
                    DefaultMaxTokens = parse.GetValue(_maxTokens) ?? 256,
                }.Load(path);
                return rate is { } r ? manifest.WithPoissonArrivals(r, parse.GetValue(_seed)) : manifest;
            }
            var kind = parse.GetValue(_kind);
            if (!string.Equals(kind, "synthetic", StringComparison.OrdinalIgnoreCase))
            {
                throw new ArgumentException($"--workload: '{kind}' is not a workload kind; use --workload synthetic, or --workload-manifest FILE.jsonl");
            }
            return new SyntheticWorkload
            {
                Items = parse.GetValue(_items),
                ImagesPerItem = parse.GetValue(_images),
                ImageSize = parse.GetValue(_imageSize),
                VideoFrames = parse.GetValue(_frames) ?? 0,
                PromptTokens = parse.GetValue(_promptTokens),
                OutputTokens = parse.GetValue(_outputTokens),
                RatePerSecond = rate,
                Seed = parse.GetValue(_seed),
            }.Build();
        }
    }

    /// <summary>The search's options, made once per command that takes them (plan itself and plan search).</summary>
    private sealed class SearchOptionSet
    {
        private readonly Option<string> _profile = ProfileOption();
        private readonly Option<string> _objective = new Option<string>("--objective")
        {
            Description = "throughput (offline jobs) or goodput (items/s within --ttft-ms and --tpot-ms)",
            DefaultValueFactory = _ => "throughput",
        }.AcceptOnlyFromAmong("throughput", "goodput");

        private readonly Option<double?> _ttft = new("--ttft-ms") { Description = "Goodput: time-to-first-token target in ms" };
        private readonly Option<double?> _tpot = new("--tpot-ms") { Description = "Goodput: time-per-output-token target in ms" };
        private readonly Option<double> _gpuCost = new("--gpu-cost") { Description = "Items/s a GPU must add to be worth using (0: use them all)", DefaultValueFactory = _ => 0 };
        private readonly Option<string?> _envOut = new("--env-out") { Description = "Write the best deployable configuration as an environment file (compose --env-file, or Epd__<Stage>__* for the services)" };
        private readonly Option<string?> _composeOut = new("--compose-out") { Description = "Write the best deployable configuration as a compose override (docker compose -f compose/compose.yaml -f FILE up)" };
        private readonly Option<int> _top = new("--top") { Description = "Configurations to print", DefaultValueFactory = _ => 5 };
        private readonly Option<string> _baselines = new("--baselines") { Description = "Colocated baselines to search: all, none, or a list of epd, ep+d, e+pd", DefaultValueFactory = _ => "all" };
        private readonly Option<string?> _encoderBatches = new("--encoder-batches") { Description = "Encoder batch sizes to try (default 1,2,4,8,16,32)" };
        private readonly Option<string?> _prefillBatches = new("--prefill-batches") { Description = "Prefill batch sizes to try (default 1,2,4,8)" };
        private readonly Option<string?> _decoderBatches = new("--decoder-batches") { Description = "Decoder batch sizes to try (default 8,16,32,64,128,256, and the largest that fits memory)" };
        private readonly Option<double> _wait = BatchWaitOption();
        private readonly Option<int> _sample = new("--sample") { Description = "Simulate at most this many items of a larger job (rates are projected to the job)", DefaultValueFactory = _ => 1000 };
        private readonly Option<bool> _exhaustive = new("--exhaustive") { Description = "Simulate every configuration (default: skip those whose throughput bound cannot reach the top)" };
        private readonly Option<bool> _verbose = CommonOptions.Verbose();
        private readonly WorkloadOptionSet _workload = new();

        public Option<int?> Gpus { get; } = new("--gpus", "-n") { Description = "GPUs to plan for" };

        public void AddTo(Command command, bool gpusRequired)
        {
            Gpus.Required = gpusRequired;
            _profile.Required = gpusRequired;
            foreach (var option in new Option[] { Gpus, _profile, _objective, _ttft, _tpot, _gpuCost, _envOut, _composeOut, _top, _baselines, _encoderBatches, _prefillBatches, _decoderBatches, _wait, _sample, _exhaustive, _verbose })
            {
                command.Options.Add(option);
            }
            _workload.AddTo(command);
        }

        public int Run(ParseResult parse)
        {
            try
            {
                var profilePath = parse.GetValue(_profile) ?? throw new ArgumentException("--profile is required");
                var profile = LoadProfile(profilePath);
                var workload = _workload.Build(parse);
                var objective = parse.GetValue(_objective) == "goodput"
                    ? PlannerObjective.Goodput(Targets(parse.GetValue(_ttft), parse.GetValue(_tpot))
                        ?? throw new ArgumentException("--objective goodput needs --ttft-ms and/or --tpot-ms"), parse.GetValue(_gpuCost))
                    : PlannerObjective.Throughput(parse.GetValue(_gpuCost));
                var defaults = new SearchOptions();
                var options = defaults with
                {
                    EncoderBatchSizes = Ints(parse.GetValue(_encoderBatches), "--encoder-batches") ?? defaults.EncoderBatchSizes,
                    PrefillBatchSizes = Ints(parse.GetValue(_prefillBatches), "--prefill-batches") ?? defaults.PrefillBatchSizes,
                    DecoderBatchSizes = Ints(parse.GetValue(_decoderBatches), "--decoder-batches") ?? defaults.DecoderBatchSizes,
                    MaxBatchWaitSeconds = parse.GetValue(_wait) / 1000.0,
                    Colocated = Baselines(parse.GetValue(_baselines)!),
                    Top = parse.GetValue(_top),
                    SampleItems = parse.GetValue(_sample),
                    Exhaustive = parse.GetValue(_exhaustive),
                };
                var gpus = parse.GetValue(Gpus) ?? throw new ArgumentException("--gpus is required");
                var plan = Planner.Search(gpus, workload, profile, objective, options);
                Console.Out.Write(PlanReport.FormatSearch(plan));

                // The files configure the stage services, which run each stage on GPUs of its own.
                var winner = plan.Deployable;
                var comment = string.Create(CultureInfo.InvariantCulture, $"objective {plan.Objective}: predicted {winner.ItemsPerSecond:G4} items/s, {winner.Goodput:G4} within targets\n")
                    + $"workload {plan.Workload}\nprofile {profilePath} ({profile.Model} on {profile.Device}, {profile.Source})";
                if (parse.GetValue(_envOut) is { } envPath)
                {
                    File.WriteAllText(envPath, DeploymentFiles.ToEnvFile(winner.Configuration, comment, plan.MaxSequenceTokens));
                    Console.Out.WriteLine($"wrote {envPath}");
                }
                if (parse.GetValue(_composeOut) is { } composePath)
                {
                    File.WriteAllText(composePath, DeploymentFiles.ToComposeOverride(winner.Configuration, comment, plan.MaxSequenceTokens));
                    Console.Out.WriteLine($"wrote {composePath}");
                }
                return ExitCodes.Ok;
            }
            catch (Exception e)
            {
                return CliErrors.Report(e, parse.GetValue(_verbose));
            }
        }

        private static ColocatedFamilies Baselines(string text)
        {
            var families = ColocatedFamilies.None;
            foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                families |= part.ToLowerInvariant() switch
                {
                    "all" => ColocatedFamilies.All,
                    "none" => ColocatedFamilies.None,
                    "epd" => ColocatedFamilies.Monolithic,
                    "ep+d" => ColocatedFamilies.EncodePrefill,
                    "e+pd" => ColocatedFamilies.PrefillDecode,
                    _ => throw new ArgumentException($"--baselines: '{part}' is not one of all, none, epd, ep+d, e+pd"),
                };
            }
            return families;
        }
    }
}
