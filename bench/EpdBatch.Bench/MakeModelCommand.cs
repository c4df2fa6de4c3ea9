using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using EpdBatch.Model.Config;
using EpdBatch.Model.Loading;
using EpdBatch.Text;

namespace EpdBatch.Bench;

/// <summary>
/// <c>make-model</c>: writes a random-weight llava-hf checkpoint folder for one of <see cref="ModelShapes"/>.
/// Up to 2 GiB of weights go in one <c>model.safetensors</c>; larger models are written shard by shard (each shard
/// generated, written and dropped before the next), so memory stays near one shard whatever the model's size.
/// </summary>
internal static class MakeModelCommand
{
    private const long MaxShardBytes = 2L << 30;
    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };

    public static int Run(BenchArguments args)
    {
        var shapeName = args.Required("shape");
        var outDir = args.Required("out");
        var dtype = args.String("dtype") ?? "f32";
        var seed = (ulong)args.Int("seed", 1234);
        var configOnly = args.Has("config-only");
        args.RejectUnknown();

        var shape = ModelShapes.Get(shapeName, dtype);
        var bf16 = ModelShapes.DTypeName(dtype) == "bfloat16";
        Directory.CreateDirectory(outDir);
        WriteJson(Path.Combine(outDir, "config.json"), shape.Config);
        WriteJson(Path.Combine(outDir, "generation_config.json"), shape.GenerationConfig);
        WriteJson(Path.Combine(outDir, "preprocessor_config.json"), shape.PreprocessorConfig);
        if (shape.VideoPreprocessorConfig is { } video)
        {
            WriteJson(Path.Combine(outDir, "video_preprocessor_config.json"), video);
        }
        // A byte-level tokenizer (ids 0-259, inside every shape's vocabulary), so that the folder runs end to end
        // through `epd run` / `epd infer --prompt`; a tokenizer already there (e.g. Qwen's) is kept.
        var tokenizerPath = Path.Combine(outDir, "tokenizer.json");
        if (!File.Exists(tokenizerPath))
        {
            TokenizerJsonWriter.WriteByteLevel(tokenizerPath, ["<s>", "</s>", PromptTemplate.ImagePlaceholder, PromptTemplate.VideoPlaceholder]);
        }
        // The runtime's own reader checks the config before any weight is written.
        var config = LlavaConfig.Load(outDir);
        var tensors = CheckpointLayout.Tensors(config);
        var elementSize = bf16 ? 2 : 4;
        var totalBytes = tensors.Sum(t => t.Elements * elementSize);
        var parameters = tensors.Sum(t => t.Elements);
        Console.WriteLine($"{shape.Name}: {shape.Description}");
        Console.WriteLine($"  {tensors.Count} tensors, {parameters / 1e6:F1} M parameters, {totalBytes / (double)(1L << 30):F2} GiB in {(bf16 ? "bf16" : "f32")}");
        if (configOnly)
        {
            Console.WriteLine($"  wrote the configs only to {outDir} (weights: bench/peer/hf_peer.py make)");
            return 0;
        }

        foreach (var stale in Directory.GetFiles(outDir, "model*.safetensors*"))
        {
            File.Delete(stale);
        }
        var clock = Stopwatch.StartNew();
        var shards = Shards(tensors, elementSize);
        if (shards.Count == 1)
        {
            WriteShard(Path.Combine(outDir, "model.safetensors"), shards[0], seed, bf16);
        }
        else
        {
            // SafeTensorsWriter.WriteSharded takes every tensor's bytes at once (14 GB for a 7B model in bf16);
            // writing shard by shard keeps one shard in memory, with the same file names and index format.
            var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
            for (var s = 0; s < shards.Count; s++)
            {
                var file = $"model-{s + 1:D5}-of-{shards.Count:D5}.safetensors";
                WriteShard(Path.Combine(outDir, file), shards[s], seed, bf16);
                foreach (var t in shards[s])
                {
                    weightMap[t.Name] = file;
                }
                Console.WriteLine($"  wrote {file} ({clock.Elapsed.TotalSeconds:F0} s)");
            }
            var index = new JsonObject
            {
                ["metadata"] = new JsonObject { ["total_size"] = totalBytes },
                ["weight_map"] = new JsonObject(weightMap.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value)))),
            };
            WriteJson(Path.Combine(outDir, "model.safetensors.index.json"), index);
        }
        // Fails here, not in a benchmark, if anything written does not load.
        var checkpoint = Checkpoint.Open(outDir);
        Console.WriteLine($"  wrote {outDir} in {clock.Elapsed.TotalSeconds:F1} s (fingerprint {checkpoint.Fingerprint}, seed {seed})");
        return 0;
    }

    private static List<List<TensorSpec>> Shards(IReadOnlyList<TensorSpec> tensors, int elementSize)
    {
        var shards = new List<List<TensorSpec>> { new() };
        long bytes = 0;
        foreach (var t in tensors)
        {
            var size = t.Elements * elementSize;
            if (bytes > 0 && bytes + size > MaxShardBytes)
            {
                shards.Add([]);
                bytes = 0;
            }
            shards[^1].Add(t);
            bytes += size;
        }
        return shards;
    }

    private static void WriteShard(string path, IReadOnlyList<TensorSpec> specs, ulong seed, bool bf16)
    {
        var dtype = bf16 ? "BF16" : "F32";
        var tensors = specs.Select(s => new SafeTensorsWriter.Tensor(s.Name, dtype, s.Shape, RandomWeights.Generate(s, seed, bf16))).ToList();
        SafeTensorsWriter.Write(path, tensors);
    }

    private static void WriteJson(string path, JsonNode node) =>
        File.WriteAllText(path, node.ToJsonString(s_indented) + "\n");
}
