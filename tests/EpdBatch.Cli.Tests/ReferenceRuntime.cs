using EpdBatch.Contracts;
using EpdBatch.Imaging;
using EpdBatch.Model.Sampling;
using EpdBatch.Model.Stages;

namespace EpdBatch.Cli.Tests;

/// <summary>The tokens the model runtime produces for an item in a single process: what every pipeline run must reproduce.</summary>
internal static class ReferenceRuntime
{
    public static IReadOnlyList<int[]> Greedy(string model, string jobId, IReadOnlyList<(string Prompt, byte[] Image, int MaxTokens)> items)
    {
        using var encoder = VisionEncoder.Load(model);
        using var language = LanguageModel.Load(model);
        var preprocessor = new ImagePreprocessor(ImageProcessorConfig.FromFolder(model));
        var prompts = new PromptEncoder(language.Config, language.Tokenizer!);
        var outputs = new List<int[]>();
        for (var i = 0; i < items.Count; i++)
        {
            var (prompt, image, maxTokens) = items[i];
            var media = encoder.EncodeImages([preprocessor.Preprocess(image)]);
            var sampling = Stages.SamplingMapper.ToRuntime(new SamplingSettings(maxTokens), jobId, i, language.DefaultStopTokenIds);
            using var prefill = language.Prefill([new PrefillRequest(prompts.Encode(prompt, 1, 0), media, sampling)])[0];
            var tokens = language.DecodeToEnd(prefill, sampling).Tokens;
            outputs.Add([.. tokens]);
        }
        return outputs;
    }
}
