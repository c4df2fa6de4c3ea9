using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using EpdBatch.Imaging;
using EpdBatch.Model.Config;
using EpdBatch.Model.Loading;
using EpdBatch.Model.Runtime;
using EpdBatch.Model.Sampling;
using EpdBatch.Model.Stages;
using TorchSharp;

namespace EpdBatch.Bench;

/// <summary>
/// <c>check</c>: greedy tokens from the EpdBatch runtime for the items <c>hf_peer.py check</c> wrote (the same pixel
/// values and prompt ids), for comparison with transformers' tokens. Each item is encoded, prefilled and decoded on
/// its own (batch 1), as the reference does.
/// </summary>
internal static class CheckCommand
{
    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };

    public static int Run(BenchArguments args)
    {
        var modelDir = args.Required("model");
        var inputsPath = args.Required("inputs");
        var device = args.String("device") ?? "cpu";
        var dtype = args.String("dtype") ?? "f32";
        var jsonPath = args.String("json");
        var threads = args.Int("threads", Environment.ProcessorCount);
        args.RejectUnknown();

        using var inputs = JsonDocument.Parse(File.ReadAllBytes(inputsPath));
        var root = inputs.RootElement;
        var kind = root.GetProperty("kind").GetString();
        var newTokens = root.GetProperty("new_tokens").GetInt32();
        var pixelFile = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(inputsPath))!, root.GetProperty("pixel_file").GetString()!);
        var tensorName = kind == "video" ? "pixel_values_videos" : "pixel_values";
        var pixels = SafeTensorsWriter.ReadAll(pixelFile).SingleOrDefault(t => t.Name == tensorName)
            ?? throw new InvalidDataException($"{pixelFile}: no tensor '{tensorName}'");
        if (pixels.DType != "F32")
        {
            throw new InvalidDataException($"{pixelFile}: {tensorName} is {pixels.DType}; expected F32");
        }
        var values = MemoryMarshal.Cast<byte, float>(pixels.Data.Span).ToArray();
        var shape = pixels.Shape;

        TorchRuntime.Initialize(threads: threads);
        if (device.StartsWith("cuda", StringComparison.Ordinal))
        {
            // Plain float32 matmuls and convolutions, as the reference run sets them.
            torch.backends.cuda.matmul.allow_tf32 = false;
            torch.backends.cudnn.allow_tf32 = false;
        }
        var options = new RuntimeOptions { Device = device, DType = dtype };
        var config = LlavaConfig.Load(modelDir);
        using var encoder = VisionEncoder.Load(modelDir, options);
        using var language = LanguageModel.Load(modelDir, options);

        var items = root.GetProperty("items").EnumerateArray().ToArray();
        var (c, h, w) = ((int)shape[^3], (int)shape[^2], (int)shape[^1]);
        var frames = kind == "video" ? (int)shape[1] : 1;
        var plane = c * h * w;
        if (shape[0] != items.Length || c != config.Vision.NumChannels || h != config.Vision.ImageSize || w != config.Vision.ImageSize)
        {
            throw new InvalidDataException($"{pixelFile}: {tensorName} has shape [{string.Join(",", shape)}] for {items.Length} items of a {config.Vision.ImageSize}-px tower");
        }

        var results = new JsonArray();
        for (var i = 0; i < items.Length; i++)
        {
            var frameValues = Enumerable.Range(0, frames)
                .Select(f => new PixelValues(c, h, w, values.AsSpan((i * frames + f) * plane, plane).ToArray()))
                .ToArray();
            var media = kind == "video" ? encoder.EncodeVideos([frameValues]) : encoder.EncodeImages(frameValues);
            var promptIds = items[i].GetProperty("prompt_ids").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            var sampling = SamplingParams.Greedy(newTokens);
            using var prefill = language.Prefill([new PrefillRequest(promptIds, media, sampling)])[0];
            var tokens = language.DecodeToEnd(prefill, sampling).Tokens;
            var sorted = prefill.LastLogits.OrderDescending().Take(2).ToArray();
            results.Add(new JsonObject
            {
                ["prompt_length"] = prefill.PromptLength,
                ["tokens"] = new JsonArray([.. tokens.Select(t => (JsonNode?)JsonValue.Create(t))]),
                ["first_token_margin"] = sorted[0] - sorted[1],
            });
            Console.WriteLine($"item {i}: {prefill.PromptLength} positions → {string.Join(" ", tokens)}");
        }

        var output = new JsonObject
        {
            ["runtime"] = "EpdBatch (TorchSharp 0.107.0)",
            ["device"] = device,
            ["dtype"] = dtype,
            ["kind"] = kind,
            ["new_tokens"] = newTokens,
            ["items"] = results,
        };
        var text = output.ToJsonString(s_indented) + "\n";
        if (jsonPath is null)
        {
            Console.Write(text);
        }
        else
        {
            File.WriteAllText(jsonPath, text);
            Console.WriteLine($"wrote {jsonPath}");
        }
        return 0;
    }
}
