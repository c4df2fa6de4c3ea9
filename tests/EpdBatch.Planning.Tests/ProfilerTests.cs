using EpdBatch.Planning.Profiles;
using EpdBatch.Planning.Simulation;
using EpdBatch.Planning.Workloads;

namespace EpdBatch.Planning.Tests;

/// <summary>A real profiling run of the tiny llava checkpoint on the CPU.</summary>
[TestFixture]
public sealed class ProfilerTests
{
    [Test]
    public async Task Profiling_the_tiny_model_measures_positive_costs_that_drive_a_simulation()
    {
        var options = new ProfilerOptions
        {
            EncoderBatches = [1, 4],
            PrefillBatches = [1, 2],
            PromptLengths = [16, 64],
            DecodeBatches = [1, 4],
            DecodeContexts = [32, 128],
            TransferSizes = [4096, 1 << 20],
            Repeats = 2,
            DeviceMemoryBytes = 1L << 30,
        };
        var lines = new List<string>();
        var profile = await new Profiler(options).RunAsync(TestData.Folder("llava-tiny-clip-llama"), new Progress<string>(lines.Add));

        Assert.That(profile.Source, Is.EqualTo("measured"));
        Assert.That(profile.ImageSize, Is.EqualTo(56));
        Assert.That(profile.TokensPerImage, Is.EqualTo(16));
        Assert.That(profile.Tiling, Is.EqualTo(ImageTiling.Resize));
        // 3 layers × (keys + values) × 2 KV heads × 16 dims × 4 bytes; hidden 64 × 4 bytes.
        Assert.That(profile.KvBytesPerToken, Is.EqualTo(3 * 2 * 2 * 16 * 4));
        Assert.That(profile.MultimodalBytesPerToken, Is.EqualTo(64 * 4));
        Assert.That(profile.Encoder.Seconds, Has.All.GreaterThan(0));
        Assert.That(profile.Prefill.Seconds.SelectMany(r => r), Has.All.GreaterThan(0));
        Assert.That(profile.DecodeStep.Seconds.SelectMany(r => r), Has.All.GreaterThan(0));
        Assert.That(profile.Transfer.Seconds, Has.All.GreaterThan(0));
        Assert.That(profile.Memory.LanguageWeightBytes, Is.GreaterThan(0));
        Assert.That(profile.Memory.VisionWeightBytes, Is.GreaterThan(0));

        var reloaded = StageProfile.FromJson(profile.ToJson());
        var workload = new SyntheticWorkload { Items = 50, ImagesPerItem = 1, PromptTokens = 8, OutputTokens = 16 }.Build();
        var result = new PipelineSimulator(reloaded).Run(
            new PipelineConfiguration(Layout.Disaggregated(1, 1, 1), new BatchPolicy(4), new BatchPolicy(2), 4), workload);
        Assert.That(result.ItemsPerSecond, Is.GreaterThan(0));
    }
}
