using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using EpdBatch.Imaging;
using EpdBatch.Model.Config;
using EpdBatch.Model.Runtime;
using EpdBatch.Model.Sampling;
using EpdBatch.Model.Stages;
using TorchSharp;

namespace EpdBatch.Bench;

/// <summary>
/// <c>runtime</c>: measures the EpdBatch model runtime on one model folder — encoder images/s, prefill tokens/s,
/// decode step time per batch size and its ratio to the device's copy bandwidth, TTFT, TPOT and peak memory.
/// Every figure is the median of <c>--repeats</c> timed runs after one untimed warm-up run.
/// </summary>
internal static class RuntimeCommand
{
    private const int TextTokensAfterImage = 24;
    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };

    public static int Run(BenchArguments args)
    {
        var modelDir = args.Required("model");
        var device = args.String("device") ?? "cpu";
        var dtypeArg = args.String("dtype");
        var stage = args.String("stage") ?? "all";
        var cuda = device.StartsWith("cuda", StringComparison.Ordinal);
        var threads = args.Int("threads", Environment.ProcessorCount);
        var repeats = args.Int("repeats", 3);
        var steps = args.Int("steps", 32);
        var promptArg = args.Has("prompt-tokens") ? args.Int("prompt-tokens", 1) : (int?)null;
        var prefillBatches = args.IntList("prefill-batches", cuda ? [1, 8] : [1, 4]);
        var decodeBatches = args.IntList("decode-batches", cuda ? [1, 8, 32, 64] : [1, 16]);
        var encoderBatches = args.IntList("encoder-batches", cuda ? [1, 8, 32] : [1, 4, 8]);
        var copyMiB = args.Int("copy-mib", cuda ? 2048 : 256);
        var jsonPath = args.String("json");
        var encoderJson = args.String("encoder-json");
        args.RejectUnknown();
        if (stage is not ("all" or "encoder" or "language"))
        {
            throw new ArgumentException($"--stage '{stage}': all, encoder or language");
        }

        // Baseline GPU memory before torch creates its CUDA context.
        string? gpuProblem = null;
        using var gpu = cuda ? GpuMemoryMonitor.TryStart(DeviceIndex(device), out gpuProblem) : null;
        TorchRuntime.Initialize(threads: threads);
        if (cuda && !torch.cuda.is_available())
        {
            throw new InvalidOperationException($"--device {device}: CUDA is not available (set {TorchRuntime.LibTorchVariable} to a CUDA PyTorch's torch/lib)");
        }
        var options = new RuntimeOptions { Device = device, DType = dtypeArg };
        var config = LlavaConfig.Load(modelDir);
        var clock = new DeviceClock(device);
        var promptTokens = promptArg ?? config.TokensPerImage + TextTokensAfterImage;
        var elementSize = ElementSize(dtypeArg, device);
        var weights = WeightBytes.Count(modelDir, config, elementSize);

        var result = new JsonObject
        {
            ["tool"] = "EpdBatch.Bench runtime",
            ["runtime"] = "EpdBatch (TorchSharp 0.107.0)",
            ["date_utc"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["machine"] = Machine(gpu, cuda),
            ["model"] = Path.GetFullPath(modelDir),
            ["model_type"] = config.ModelType,
            ["device"] = device,
            ["libtorch"] = TorchRuntime.LoadedLibTorch ?? "bundled (TorchSharp-cpu)",
            ["dtype"] = DTypeName(dtypeArg, device),
            ["torch_threads"] = torch.get_num_threads(),
            ["stage"] = stage,
            ["repeats"] = repeats,
            ["weights"] = new JsonObject
            {
                ["encoder_bytes"] = weights.Encoder,
                ["language_bytes"] = weights.Language,
                ["language_bytes_read_per_decode_step"] = weights.LanguageReadPerDecodeStep,
            },
        };
        if (cuda && gpu is null)
        {
            result["gpu_memory_note"] = $"NVML unavailable: {gpuProblem}";
        }

        result["load_average_start"] = LoadAverage();
        Console.WriteLine($"EpdBatch runtime benchmark: {modelDir} ({config.ModelType}) on {device}, {result["dtype"]}, {torch.get_num_threads()} torch threads, stage {stage}");
        Console.WriteLine($"machine: {Environment.ProcessorCount} CPUs ({CpuModel()}), load average {result["load_average_start"]}");
        double? encodeOne = null;
        if (stage is "all" or "encoder")
        {
            encodeOne = RunEncoder(modelDir, options, config, encoderBatches, repeats, clock, result);
        }
        else if (encoderJson is not null)
        {
            encodeOne = ReadEncodeOne(encoderJson);
        }
        List<DecodeMeasurement>? decode = null;
        if (stage is "all" or "language")
        {
            decode = RunLanguage(modelDir, options, config, promptTokens, prefillBatches, decodeBatches, steps, repeats, clock,
                elementSize, encodeOne, result);
        }

        // Peak memory is read before the bandwidth copy, whose buffers would otherwise count (CUDA's caching
        // allocator keeps them reserved after they are freed).
        if (gpu is not null)
        {
            result["peak_gpu_memory_bytes"] = gpu.PeakAboveBaseline;
            result["gpu_memory_method"] = "NVML device memory in use, peak above the baseline before the CUDA context (caching allocator reserve + context)";
        }
        var peakRss = PeakRss();
        result["peak_rss_bytes"] = peakRss;

        var copyBandwidth = CopyBandwidth(clock, device, copyMiB * (1L << 20));
        result["copy_bandwidth_bytes_per_s"] = copyBandwidth;
        result["copy_bytes"] = copyMiB * (1L << 20);
        Console.WriteLine();
        Console.WriteLine($"copy bandwidth ({copyMiB} MiB tensor copy on {device}, 2 × bytes / time): {copyBandwidth / 1e9:F1} GB/s");
        if (decode is not null)
        {
            ReportDecode(decode, weights, copyBandwidth, promptTokens, steps, result);
        }

        result["load_average_end"] = LoadAverage();
        Console.WriteLine();
        Console.WriteLine($"load average at the end: {result["load_average_end"]} (other processes share these CPUs)");
        if (gpu is not null)
        {
            Console.WriteLine($"peak GPU memory (NVML, above baseline): {gpu.PeakAboveBaseline / (double)(1L << 30):F2} GiB");
        }
        Console.WriteLine($"peak process RSS: {peakRss / (double)(1L << 30):F2} GiB");
        if (jsonPath is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(jsonPath))!);
            File.WriteAllText(jsonPath, result.ToJsonString(s_indented) + "\n");
            Console.WriteLine($"wrote {jsonPath}");
        }
        return 0;
    }

    private static double RunEncoder(string modelDir, RuntimeOptions options, LlavaConfig config, int[] batches, int repeats,
        DeviceClock clock, JsonObject result)
    {
        var load = System.Diagnostics.Stopwatch.StartNew();
        using var encoder = VisionEncoder.Load(modelDir, options);
        clock.Synchronize();
        result["encoder_load_s"] = load.Elapsed.TotalSeconds;
        var rows = new JsonArray();
        var one = double.NaN;
        Console.WriteLine();
        Console.WriteLine($"encoder (vision tower + projector, {config.Vision.ImageSize} px → {config.TokensPerImage} tokens/image; loaded in {load.Elapsed.TotalSeconds:F1} s)");
        Console.WriteLine("  batch   median s   images/s");
        foreach (var batch in batches.Prepend(1).Distinct().Order())
        {
            var pixels = RandomPixels(config, batch, seed: batch);
            var samples = clock.Repeat(repeats, () => encoder.EncodeImages(pixels));
            var median = DeviceClock.Median(samples);
            if (batch == 1)
            {
                one = median;
            }
            Console.WriteLine($"  {batch,5}  {median,9:F4}  {batch / median,9:F2}");
            rows.Add(new JsonObject
            {
                ["batch"] = batch,
                ["median_s"] = median,
                ["images_per_s"] = batch / median,
                ["samples_s"] = Array(samples),
            });
        }
        result["encoder"] = rows;
        return one;
    }

    private static List<DecodeMeasurement> RunLanguage(string modelDir, RuntimeOptions options, LlavaConfig config, int promptTokens,
        int[] prefillBatches, int[] decodeBatches, int steps, int repeats, DeviceClock clock, int elementSize, double? encodeOne,
        JsonObject result)
    {
        var load = System.Diagnostics.Stopwatch.StartNew();
        using var language = LanguageModel.Load(modelDir, options);
        clock.Synchronize();
        result["language_load_s"] = load.Elapsed.TotalSeconds;
        result["prompt_tokens"] = promptTokens;
        var maxNew = steps + 2;
        if (promptTokens + maxNew > language.ContextLength)
        {
            throw new ArgumentException($"--prompt-tokens {promptTokens} + {maxNew} decode positions exceed the model's context of {language.ContextLength}");
        }

        Console.WriteLine();
        Console.WriteLine($"prefill ({promptTokens} prompt tokens per sequence: an image's {config.TokensPerImage} tokens cost the language model what text tokens do; loaded in {load.Elapsed.TotalSeconds:F1} s)");
        Console.WriteLine("  batch   median s   tokens/s");
        var prefillRows = new JsonArray();
        var prefillOne = double.NaN;
        foreach (var batch in prefillBatches.Prepend(1).Distinct().Order())
        {
            var requests = Enumerable.Range(0, batch)
                .Select(i => new PrefillRequest(RandomPrompt(config, promptTokens, seed: 100 + i), [], SamplingParams.Greedy(1)))
                .ToArray();
            var samples = clock.Repeat(repeats, () =>
            {
                foreach (var r in language.Prefill(requests))
                {
                    r.Dispose();
                }
            });
            var median = DeviceClock.Median(samples);
            if (batch == 1)
            {
                prefillOne = median;
            }
            Console.WriteLine($"  {batch,5}  {median,9:F4}  {batch * promptTokens / median,9:F1}");
            prefillRows.Add(new JsonObject
            {
                ["batch"] = batch,
                ["prompt_tokens"] = promptTokens,
                ["median_s"] = median,
                ["tokens_per_s"] = batch * promptTokens / median,
                ["samples_s"] = Array(samples),
            });
        }
        result["prefill"] = prefillRows;

        var text = config.Text;
        var sampling = SamplingParams.Greedy(maxNew);
        using var seedSequence = language.Prefill([new PrefillRequest(RandomPrompt(config, promptTokens, seed: 7), [], sampling)])[0];
        var meanContext = promptTokens + steps / 2.0;
        var measurements = new List<DecodeMeasurement>();
        Console.WriteLine();
        Console.WriteLine($"decode: timing {steps} steps per run from a {promptTokens}-token context ...");
        foreach (var batch in decodeBatches.Prepend(1).Distinct().Order())
        {
            var samples = new double[repeats];
            for (var r = -1; r < repeats; r++)
            {
                using var decode = language.CreateDecodeBatch(batch, promptTokens + maxNew);
                for (var i = 0; i < batch; i++)
                {
                    decode.Admit(seedSequence, sampling);
                }
                var elapsed = clock.Time(() =>
                {
                    for (var s = 0; s < steps; s++)
                    {
                        decode.Step();
                    }
                });
                if (r >= 0)
                {
                    samples[r] = elapsed / steps;
                }
            }
            // The KV cache a step reads, at the run's mean context length.
            var kvBytes = (double)batch * text.NumHiddenLayers * 2 * text.NumKeyValueHeads * text.HeadDim * elementSize * meanContext;
            measurements.Add(new DecodeMeasurement(batch, samples, DeviceClock.Median(samples), kvBytes));
        }

        var tpot = measurements[0].StepSeconds;
        result["tpot_s"] = tpot;
        if (encodeOne is { } encode && !double.IsNaN(encode))
        {
            result["ttft_s"] = encode + prefillOne;
            result["ttft_note"] = "encoder batch 1 + prefill batch 1 (first token sampled in prefill); no queueing or transfer between stages";
            Console.WriteLine($"TTFT (encode 1 image + prefill 1 sequence): {(encode + prefillOne) * 1e3:F1} ms; TPOT (decode step, batch 1): {tpot * 1e3:F2} ms");
        }
        else
        {
            result["ttft_prefill_only_s"] = prefillOne;
            Console.WriteLine($"TTFT without encode (prefill 1 sequence): {prefillOne * 1e3:F1} ms; TPOT (decode step, batch 1): {tpot * 1e3:F2} ms");
        }
        return measurements;
    }

    private static void ReportDecode(List<DecodeMeasurement> measurements, WeightBytes weights, double copyBandwidth, int promptTokens,
        int steps, JsonObject result)
    {
        var perStep = weights.LanguageReadPerDecodeStep;
        Console.WriteLine();
        Console.WriteLine($"decode ({steps} steps per run from a {promptTokens}-token context; weights read per step {perStep / 1e6:F1} MB;");
        Console.WriteLine($"        ratio = (bytes per step ÷ step time) ÷ copy bandwidth {copyBandwidth / 1e9:F1} GB/s)");
        Console.WriteLine("  batch   step ms   tokens/s   weights GB/s   ratio (weights)   ratio (weights + KV)");
        var rows = new JsonArray();
        foreach (var m in measurements)
        {
            var weightRate = perStep / m.StepSeconds;
            var ratio = weightRate / copyBandwidth;
            var ratioKv = (perStep + m.KvBytes) / m.StepSeconds / copyBandwidth;
            Console.WriteLine($"  {m.Batch,5}  {m.StepSeconds * 1e3,8:F2}  {m.Batch / m.StepSeconds,9:F1}  {weightRate / 1e9,13:F1}  {ratio,16:F2}  {ratioKv,20:F2}");
            rows.Add(new JsonObject
            {
                ["batch"] = m.Batch,
                ["context_start"] = promptTokens,
                ["steps"] = steps,
                ["median_step_s"] = m.StepSeconds,
                ["tokens_per_s"] = m.Batch / m.StepSeconds,
                ["weight_bytes_per_step"] = perStep,
                ["kv_bytes_per_step"] = m.KvBytes,
                ["weights_bytes_per_s"] = weightRate,
                ["ratio_to_copy_bandwidth"] = ratio,
                ["ratio_to_copy_bandwidth_with_kv"] = ratioKv,
                ["samples_step_s"] = Array(m.Samples),
            });
        }
        result["decode"] = rows;
    }

    private static double CopyBandwidth(DeviceClock clock, string device, long bytes)
    {
        using var scope = torch.NewDisposeScope();
        var elements = bytes / 4;
        var source = torch.ones(elements, torch.ScalarType.Float32, new torch.Device(device));
        var target = torch.empty(elements, torch.ScalarType.Float32, new torch.Device(device));
        var samples = clock.Repeat(5, () => target.copy_(source));
        return 2.0 * elements * 4 / DeviceClock.Median(samples);
    }

    /// <summary>Uniform values in [-1, 1]: the range normalized pixels span.</summary>
    internal static IReadOnlyList<PixelValues> RandomPixels(LlavaConfig config, int count, int seed)
    {
        var random = new Random(seed);
        var (c, s) = (config.Vision.NumChannels, config.Vision.ImageSize);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var data = new float[c * s * s];
            for (var i = 0; i < data.Length; i++)
            {
                data[i] = (float)(random.NextDouble() * 2 - 1);
            }
            return new PixelValues(c, s, s, data);
        }).ToArray();
    }

    /// <summary>Random text ids, never a media placeholder.</summary>
    private static int[] RandomPrompt(LlavaConfig config, int length, int seed)
    {
        var random = new Random(seed);
        var ids = new int[length];
        for (var i = 0; i < length; i++)
        {
            var id = random.Next(3, config.Text.VocabSize);
            ids[i] = id == config.ImageTokenId || id == config.VideoTokenId ? 3 : id;
        }
        return ids;
    }

    private static double ReadEncodeOne(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        foreach (var row in document.RootElement.GetProperty("encoder").EnumerateArray())
        {
            if (row.GetProperty("batch").GetInt32() == 1)
            {
                return row.GetProperty("median_s").GetDouble();
            }
        }
        throw new InvalidDataException($"{path}: no encoder batch-1 result");
    }

    private static string DTypeName(string? dtype, string device) => (dtype ?? "").ToLowerInvariant() switch
    {
        "" or "auto" => device.StartsWith("cuda", StringComparison.Ordinal) ? "bfloat16" : "float32",
        "float32" or "fp32" or "f32" => "float32",
        "bfloat16" or "bf16" => "bfloat16",
        "float16" or "fp16" or "f16" or "half" => "float16",
        _ => throw new ArgumentException($"--dtype '{dtype}': f32, bf16 or f16"),
    };

    private static int ElementSize(string? dtype, string device) => DTypeName(dtype, device) == "float32" ? 4 : 2;

    private static int DeviceIndex(string device) =>
        device.Split(':') is [_, var index] ? int.Parse(index, CultureInfo.InvariantCulture) : 0;

    private static JsonObject Machine(GpuMemoryMonitor? gpu, bool cuda)
    {
        var machine = new JsonObject
        {
            ["cpu_count"] = Environment.ProcessorCount,
            ["cpu_model"] = CpuModel(),
            ["os"] = RuntimeInformation.OSDescription,
            ["dotnet"] = RuntimeInformation.FrameworkDescription,
        };
        if (cuda)
        {
            machine["gpu"] = gpu?.DeviceName ?? "unknown (NVML unavailable)";
        }
        return machine;
    }

    private static string CpuModel()
    {
        const string info = "/proc/cpuinfo";
        if (!File.Exists(info))
        {
            return "unknown";
        }
        var line = File.ReadLines(info).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
        return line is null ? "unknown" : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
    }

    /// <summary>The 1, 5 and 15 minute load averages (Linux): how busy the machine was besides this run.</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    /// <summary>VmHWM of this process (Linux), 0 elsewhere.</summary>
    private static long PeakRss()
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status))
        {
            return 0;
        }
        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        var kb = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, var value, ..] ? long.Parse(value, CultureInfo.InvariantCulture) : 0;
        return kb * 1024;
    }

    private static JsonArray Array(IEnumerable<double> values) => new([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]);

    /// <summary>One decode batch size's timed runs: seconds per step, and the KV bytes a step reads.</summary>
    private sealed record DecodeMeasurement(int Batch, double[] Samples, double StepSeconds, double KvBytes);
}
