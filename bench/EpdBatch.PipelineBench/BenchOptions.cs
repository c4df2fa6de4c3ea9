namespace EpdBatch.PipelineBench;

/// <summary>The benchmark's command line.</summary>
internal sealed record BenchOptions
{
    public const string Usage = """
        EpdBatch.PipelineBench: the same items through the four-process pipeline (ingest, encoder, prefill, decoder over
        RabbitMQ, Redis and Azurite on 127.0.0.1) and through the stages called directly in this process.
        With --load, a load test instead: jobs of each size through fresh four-process pipelines, sampling each
        process's RSS and the deployment's Redis keys (a private Redis database) while they run.

          --items N              items in the job (default 200)
          --runs N               repetitions of both modes; figures are the median (default 1)
          --shape clip-b|demo    model: CLIP-B/16-sized tower + 4x512 Llama (default), or the tiny demo model
          --min-tokens N         max_tokens of the items ranges over [min, max] (default 16..32)
          --max-tokens N
          --service-threads LIST comma-separated torch thread settings of the service processes, each 'default',
                                 N (all three model stages) or E/P/D (a number or 'd' each); every one is a
                                 four-process run per repetition (default: default); 'none' runs the direct
                                 mode only
          --direct LIST          direct modes: sequential (stages one after the other), overlapped (three stage
                                 threads with in-memory queues); default both, 'none' for neither
          --direct-threads N     torch threads of this process for the direct runs (default: torch's default)
          --work DIR             model, images, logs and outputs (default /tmp/epd-pipeline-bench)
          --json PATH            figures as JSON (default <work>/pipeline-bench.json, or load-test.json with --load;
                                 a .md table is written beside it)
          --load LIST            load test: comma-separated job sizes, e.g. 1000,5000 (the model defaults to the
                                 demo shape, max_tokens to 4..8; --items, --runs and the direct modes do not apply)
          --sample-ms N          load test: how often RSS and Redis keys are sampled (default 500)

          --validate-planner     instead: profile this machine with `epd plan profile`, run each configuration
                                 --runs times through the four-process pipeline and compare the planner's
                                 predicted items/s with the measured median (default --items 40 --runs 3
                                 --shape clip-b-6l --service-threads 1: its first entry is the torch threads
                                 of the profile and of every service; JSON at <work>/planner-validation.json)
          --configs LIST         configurations to validate, comma-separated E/EB/PB/DB (encoder replicas,
                                 encoder, prefill and decoder MaxBatchSize); default 1/8/4/16,1/1/4/16,1/8/4/1,2/8/4/16
        """;

    public int Items { get; init; } = 200;

    public int Runs { get; init; } = 1;

    public ModelShapeChoice Shape { get; init; } = ModelShapeChoice.ClipB;

    public int MinTokens { get; init; } = 16;

    public int MaxTokens { get; init; } = 32;

    public IReadOnlyList<ServiceThreads> ServiceThreads { get; init; } = [PipelineBench.ServiceThreads.Parse("default")];

    public IReadOnlyList<string> DirectModes { get; init; } = ["sequential", "overlapped"];

    public int? DirectThreads { get; init; }

    public string WorkFolder { get; init; } = Path.Combine(Path.GetTempPath(), "epd-pipeline-bench");

    public string? JsonPath { get; init; }

    public bool ProbeThreads { get; init; }

    /// <summary>Job sizes of the load test; empty for the throughput benchmark.</summary>
    public IReadOnlyList<int> Load { get; init; } = [];

    public int SampleMilliseconds { get; init; } = 500;

    public bool ValidatePlanner { get; init; }

    public IReadOnlyList<ValidationSetting>? ValidationSettings { get; init; }

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions();
        bool shapeGiven = false, tokensGiven = false;
        if (args.Contains("--validate-planner"))
        {
            // Sized so that the profile and 4 configurations × (warm-up + 3 runs) finish within 8 minutes on 2 idle
            // cores. One torch thread per process: stage processes then share the cores without OpenMP spinning
            // against each other.
            options = options with
            {
                ValidatePlanner = true,
                Items = 40,
                Runs = 3,
                Shape = ModelShapeChoice.ClipB6,
                ServiceThreads = [PipelineBench.ServiceThreads.Parse("1")],
                WorkFolder = Path.Combine(Path.GetTempPath(), "epd-planner-validation"),
            };
        }
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            shapeGiven |= args[i] == "--shape";
            tokensGiven |= args[i] is "--min-tokens" or "--max-tokens";
            options = args[i] switch
            {
                "--items" => options with { Items = Positive(Value()) },
                "--runs" => options with { Runs = Positive(Value()) },
                "--shape" => options with { Shape = ModelShapeChoice.Parse(Value()) },
                "--min-tokens" => options with { MinTokens = Positive(Value()) },
                "--max-tokens" => options with { MaxTokens = Positive(Value()) },
                "--load" => options with { Load = Value().Split(',').Select(Positive).ToArray() },
                "--sample-ms" => options with { SampleMilliseconds = Positive(Value()) },
                "--service-threads" => options with { ServiceThreads = ParseThreads(Value()) },
                "--direct" => options with { DirectModes = ParseDirect(Value()) },
                "--direct-threads" => options with { DirectThreads = Positive(Value()) },
                "--work" => options with { WorkFolder = Path.GetFullPath(Value()) },
                "--json" => options with { JsonPath = Path.GetFullPath(Value()) },
                "--probe-threads" => options with { ProbeThreads = true },
                "--validate-planner" => options,
                "--configs" => options with { ValidationSettings = Value().Split(',').Select(ValidationSetting.Parse).ToArray() },
                _ => throw new ArgumentException($"unknown argument {args[i]}\n{Usage}"),
            };
        }
        if (options.Load.Count > 0)
        {
            // The load test is about what the services hold, not model speed: a tiny model and short answers.
            options = options with
            {
                Items = options.Load.Max(),
                Shape = shapeGiven ? options.Shape : ModelShapeChoice.Demo,
                MinTokens = tokensGiven ? options.MinTokens : 4,
                MaxTokens = tokensGiven ? options.MaxTokens : 8,
            };
        }
        if (options.MaxTokens < options.MinTokens)
        {
            throw new ArgumentException("--max-tokens must be at least --min-tokens");
        }
        if (options.ServiceThreads.Count + options.DirectModes.Count == 0)
        {
            throw new ArgumentException("nothing to run: --service-threads none and --direct none");
        }
        return options;
    }

    private static ServiceThreads[] ParseThreads(string text) =>
        text == "none" ? [] : text.Split(',').Select(PipelineBench.ServiceThreads.Parse).ToArray();

    private static string[] ParseDirect(string text)
    {
        var modes = text == "none" ? [] : text.Split(',');
        return modes.All(m => m is "sequential" or "overlapped") ? modes : throw new ArgumentException($"--direct {text}: sequential, overlapped, both comma-separated, or none");
    }

    private static int Positive(string text) => int.TryParse(text, out var n) && n > 0 ? n : throw new ArgumentException($"{text}: a positive number");
}
