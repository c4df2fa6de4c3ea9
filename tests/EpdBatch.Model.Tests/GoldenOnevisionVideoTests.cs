using EpdBatch.Imaging;
using EpdBatch.Model.Sampling;
using EpdBatch.Model.Stages;

namespace EpdBatch.Model.Tests;

/// <summary>The video path (per-frame encoding, bilinear pooling, newline, prompt expansion) against transformers.</summary>
[TestFixture]
public sealed class GoldenOnevisionVideoTests
{
    private const string Folder = "onevision-tiny-video";

    [Test]
    public void Reproduces_projector_output_video_features_logits_and_greedy_tokens()
    {
        var golden = TestData.Golden(Folder).GetProperty("cases")[0];
        var all = golden.GetProperty("pixel_values_videos").Floats();
        const int plane = 3 * 56 * 56;
        var frames = Enumerable.Range(0, 4).Select(f => new PixelValues(3, 56, 56, all[(f * plane)..((f + 1) * plane)])).ToArray();

        using var encoder = VisionEncoder.Load(TestData.Folder(Folder));
        using var language = LanguageModel.Load(TestData.Folder(Folder));

        GoldenLlavaTests.AssertClose(encoder.ProjectFramesForCheck(frames), golden.GetProperty("projector_output").Floats(), 1e-4, "projector output");
        var video = encoder.EncodeVideos([frames])[0];
        Assert.That(video.Tokens, Is.EqualTo(golden.GetProperty("video_tokens_per_video").GetInt32()));
        Assert.That(encoder.TokensPerVideo(4), Is.EqualTo(17));
        var features = video.ToFloatArray();
        var pooled = golden.GetProperty("video_features").Floats();
        GoldenLlavaTests.AssertClose(features[..pooled.Length], pooled, 1e-4, "pooled video features");

        Assert.That(language.ExpandPrompt(golden.GetProperty("prompt_ids").Ints(), [video]), Is.EqualTo(golden.GetProperty("input_ids").Ints()));
        var greedy = SamplingParams.Greedy(24);
        using var prefill = language.Prefill([new PrefillRequest(golden.GetProperty("prompt_ids").Ints(), [video], greedy) { ReturnArgmaxAll = true }])[0];
        GoldenLlavaTests.AssertClose(prefill.LastLogits, golden.GetProperty("last_logits").Floats(), 1e-4, "last logits");
        Assert.That(prefill.ArgmaxAll!.Select(x => (int)x), Is.EqualTo(golden.GetProperty("logits_argmax_all").Ints()));
        Assert.That(language.DecodeToEnd(prefill, greedy).Tokens, Is.EqualTo(golden.GetProperty("greedy_new_tokens").Ints()));
    }
}
