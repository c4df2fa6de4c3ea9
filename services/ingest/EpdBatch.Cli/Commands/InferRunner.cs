using System.Text.Json;
using System.Text.Json.Nodes;
using EpdBatch.Imaging;
using EpdBatch.Model.Config;
using EpdBatch.Model.Runtime;
using EpdBatch.Model.Stages;

namespace EpdBatch.Cli.Commands;

/// <summary>One item, all three stages, one process: the reference path the pipeline's results are checked against.</summary>
internal static class InferRunner
{
    public static JsonObject Run(InferRequest request)
    {
        if (request.Prompt is null == request.PromptIds is null)
        {
            throw new ArgumentException("give exactly one of --prompt and --prompt-ids");
        }
        if (request.Video is not null && request.VideoFrames is not null)
        {
            throw new ArgumentException("give --video or --video-frames, not both");
        }
        TorchRuntime.Initialize(request.LibTorch);
        using var encoder = VisionEncoder.Load(request.ModelDirectory, request.Runtime);
        using var language = LanguageModel.Load(request.ModelDirectory, request.Runtime);

        var media = new List<MultimodalEmbedding>();
        if (request.Images.Count > 0)
        {
            var preprocessor = new ImagePreprocessor(ImageProcessorConfig.FromFolder(request.ModelDirectory));
            var pixels = request.Images.Select(path => preprocessor.Preprocess(ReadFile(path))).ToArray();
            media.AddRange(encoder.EncodeImages(pixels));
        }
        var frames = MediaFiles.VideoFrames(request);
        if (frames is not null)
        {
            media.AddRange(encoder.EncodeVideos([frames]));
        }

        int[] promptIds;
        if (request.PromptIds is { } ids)
        {
            promptIds = [.. ids];
        }
        else
        {
            var tokenizer = language.Tokenizer ?? throw new ArgumentException($"{request.ModelDirectory} has no tokenizer.json: use --prompt-ids");
            promptIds = new PromptEncoder(language.Config, tokenizer).Encode(request.Prompt!, request.Images.Count, frames is null ? 0 : 1);
        }

        var sampling = request.Sampling with
        {
            StopTokenIds = request.IgnoreEos ? [] : language.DefaultStopTokenIds.ToArray(),
        };
        using var prefill = language.Prefill([new PrefillRequest(promptIds, media, sampling)])[0];
        var (tokens, finish) = language.DecodeToEnd(prefill, sampling);

        if (request.DumpTensors is { } dumpPath)
        {
            WriteDump(dumpPath, encoder, media, prefill.LastLogits);
        }

        var output = new JsonObject
        {
            ["new_tokens"] = new JsonArray(tokens.Select(t => (JsonNode)t).ToArray()),
            ["finish_reason"] = finish,
            ["prompt_tokens"] = prefill.PromptLength,
        };
        if (language.Tokenizer is { } t)
        {
            output["text"] = t.Decode(tokens, skipSpecialTokens: true);
        }
        return output;
    }

    private static byte[] ReadFile(string path) =>
        File.Exists(path) ? File.ReadAllBytes(path) : throw new FileNotFoundException($"{path}: no such file");

    private static void WriteDump(string path, VisionEncoder encoder, IReadOnlyList<MultimodalEmbedding> media, float[] lastLogits)
    {
        var dump = new JsonObject();
        if (media.Count > 0)
        {
            var first = media[0];
            var values = first.ToFloatArray();
            var key = first.Kind == MultimodalKind.Video ? "video_features" : "image_features";
            if (first.Kind == MultimodalKind.Video && encoder.Config.Architecture == MultimodalArchitecture.LlavaOnevision)
            {
                // transformers' video_features are the pooled frames; the newline is appended after them.
                values = values[..^first.Hidden];
            }
            dump[key] = JsonSerializer.SerializeToNode(values);
        }
        dump["last_logits"] = JsonSerializer.SerializeToNode(lastLogits);
        File.WriteAllText(path, dump.ToJsonString());
    }
}
