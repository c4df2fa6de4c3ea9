using EpdBatch.Contracts;
using EpdBatch.Imaging;
using EpdBatch.Model.Sampling;
using EpdBatch.Model.Stages;
using EpdBatch.Stages;

namespace EpdBatch.Video.Tests;

/// <summary>What the model runtime gives for video items in one process, without the pipeline: what every pipeline run must reproduce.</summary>
internal static class ReferenceRuntime
{
    /// <summary>One video item: its prompt, its frames (preprocessed), its sampling and where it sits in its job.</summary>
    public sealed record VideoItem(string Prompt, IReadOnlyList<PixelValues> Frames, SamplingSettings Sampling, string JobId, int ItemIndex);

    /// <summary>The greedy (or seeded) tokens of each item, and its video features as the encoder computed them.</summary>
    public static IReadOnlyList<(int[] Tokens, float[] Features)> Run(string model, IReadOnlyList<VideoItem> items)
    {
        using var encoder = VisionEncoder.Load(model);
        using var language = LanguageModel.Load(model);
        var prompts = new PromptEncoder(language.Config, language.Tokenizer!);
        var outputs = new List<(int[], float[])>();
        foreach (var item in items)
        {
            var media = encoder.EncodeVideos([item.Frames]);
            Assert.That(media[0].Tokens, Is.EqualTo(encoder.TokensPerVideo(item.Frames.Count)));
            var sampling = SamplingMapper.ToRuntime(item.Sampling, item.JobId, item.ItemIndex, language.DefaultStopTokenIds);
            using var prefill = language.Prefill([new PrefillRequest(prompts.Encode(item.Prompt, 0, 1), media, sampling)])[0];
            var tokens = language.DecodeToEnd(prefill, sampling).Tokens;

            outputs.Add(([.. tokens], media[0].ToFloatArray()));
        }

        return outputs;
    }
}
