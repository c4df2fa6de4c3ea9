using EpdBatch.Imaging;
using EpdBatch.Model.Sampling;
using EpdBatch.Model.Stages;

namespace EpdBatch.Model.Tests;

/// <summary>The runtime must compute what Hugging Face transformers computed on the tiny llava checkpoint.</summary>
[TestFixture]
public sealed class GoldenLlavaTests
{
    private const string Folder = "llava-tiny-clip-llama";
    private VisionEncoder _encoder = null!;
    private LanguageModel _language = null!;

    [OneTimeSetUp]
    public void Load()
    {
        _encoder = VisionEncoder.Load(TestData.Folder(Folder));
        _language = LanguageModel.Load(TestData.Folder(Folder));
    }

    [OneTimeTearDown]
    public void Unload()
    {
        _encoder.Dispose();
        _language.Dispose();
    }

    [TestCase(0)]
    [TestCase(1)]
    public void Reproduces_features_logits_argmax_and_greedy_tokens_from_reference_pixels(int caseIndex)
    {
        var golden = TestData.Golden(Folder).GetProperty("cases")[caseIndex];
        var pixels = new PixelValues(3, 56, 56, golden.GetProperty("pixel_values").Floats());

        var media = _encoder.EncodeImages([pixels]);
        Assert.That(media[0].Tokens, Is.EqualTo(16));
        AssertClose(media[0].ToFloatArray(), golden.GetProperty("image_features").Floats(), 1e-4, "image features");

        var greedy = SamplingParams.Greedy(24);
        using var prefill = _language.Prefill([new PrefillRequest(golden.GetProperty("prompt_ids").Ints(), media, greedy) { ReturnArgmaxAll = true }])[0];
        AssertClose(prefill.LastLogits, golden.GetProperty("last_logits").Floats(), 1e-4, "last logits");
        Assert.That(prefill.ArgmaxAll!.Select(x => (int)x), Is.EqualTo(golden.GetProperty("logits_argmax_all").Ints()), "argmax at every prompt position");

        var tokens = _language.DecodeToEnd(prefill, greedy).Tokens;
        Assert.That(tokens, Is.EqualTo(golden.GetProperty("greedy_new_tokens").Ints()), "greedy tokens");
    }

    [Test]
    public void Expanded_prompt_matches_the_reference_input_ids()
    {
        var golden = TestData.Golden(Folder).GetProperty("cases")[0];
        var pixels = new PixelValues(3, 56, 56, golden.GetProperty("pixel_values").Floats());
        var media = _encoder.EncodeImages([pixels]);
        Assert.That(_language.ExpandPrompt(golden.GetProperty("prompt_ids").Ints(), media), Is.EqualTo(golden.GetProperty("input_ids").Ints()));
    }

    [Test]
    public void Placeholder_count_must_match_the_media_given()
    {
        var golden = TestData.Golden(Folder).GetProperty("cases")[0];
        var pixels = new PixelValues(3, 56, 56, golden.GetProperty("pixel_values").Floats());
        var media = _encoder.EncodeImages([pixels, pixels]);
        var error = Assert.Throws<ModelInputException>(() =>
            _language.Prefill([new PrefillRequest(golden.GetProperty("prompt_ids").Ints(), media, SamplingParams.Greedy(4))]));
        Assert.That(error!.Code, Is.EqualTo("placeholder_mismatch"));
    }

    internal static void AssertClose(float[] actual, float[] expected, double tolerance, string what)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), what + " length");
        var worst = actual.Zip(expected, (a, e) => Math.Abs(a - e)).Max();
        Assert.That(worst, Is.LessThanOrEqualTo(tolerance), $"{what}: max abs difference {worst:E3}");
    }
}
