using System.Diagnostics;
using EpdBatch.Contracts;
using EpdBatch.Imaging;
using EpdBatch.Model.Sampling;
using EpdBatch.Model.Stages;
using EpdBatch.Stages;

namespace EpdBatch.PipelineBench;

/// <summary>
/// The stages' models loaded in this process for a direct run (load time kept apart: the services load theirs before
/// the job starts), and the per-item inputs every direct mode builds the same way as the services do.
/// </summary>
internal sealed class DirectModels : IDisposable
{
    public const int EncoderBatch = 8;
    public const int PrefillBatch = 4;
    public const int DecoderBatch = 16;

    public DirectModels(string modelPath)
    {
        var clock = Stopwatch.StartNew();
        Encoder = VisionEncoder.Load(modelPath);
        Language = LanguageModel.Load(modelPath);
        Preprocessor = new ImagePreprocessor(ImageProcessorConfig.FromFolder(modelPath));
        Prompts = new PromptEncoder(Language.Config, Language.Tokenizer!);
        LoadSeconds = Math.Round(clock.Elapsed.TotalSeconds, 2);
    }

    public VisionEncoder Encoder { get; }

    public LanguageModel Language { get; }

    public ImagePreprocessor Preprocessor { get; }

    public PromptEncoder Prompts { get; }

    public double LoadSeconds { get; }

    /// <summary>Greedy settings as the prefill and decode services derive them from the manifest's max_tokens.</summary>
    public SamplingParams Sampling(BenchItem item) =>
        SamplingMapper.ToRuntime(new SamplingSettings(item.MaxTokens), "direct", item.Index, Language.DefaultStopTokenIds);

    /// <summary>The prefill request of an item, as the prefill service builds it (one image placeholder).</summary>
    public PrefillRequest Request(BenchItem item, MultimodalEmbedding media, SamplingParams sampling) =>
        new(Prompts.Encode(item.Prompt, 1, 0), [media], sampling);

    public static double CpuSeconds()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime.TotalSeconds;
    }

    public void Dispose()
    {
        Encoder.Dispose();
        Language.Dispose();
    }
}
