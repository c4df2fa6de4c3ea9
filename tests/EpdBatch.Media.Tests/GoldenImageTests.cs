using System.Text.Json;
using EpdBatch.Imaging;

namespace EpdBatch.Media.Tests;

/// <summary>Preprocessing against what transformers 5.17 produced for the shared reference checkpoints.</summary>
[TestFixture]
public sealed class GoldenImageTests
{
    private const string ClipModel = "llava-tiny-clip-llama";
    private const string VideoModel = "onevision-tiny-video";

    [TestCase("square56.png", 1e-5)]
    [TestCase("rect80x64.png", 2e-2)]
    public void ClipImageMatchesReference(string image, double tolerance)
    {
        var config = ImageProcessorConfig.FromFolder(Path.Combine(TestPaths.SharedTestData, ClipModel));
        var preprocessor = new ImagePreprocessor(config);

        var actual = preprocessor.Preprocess(File.ReadAllBytes(TestPaths.TestDataFile(ClipModel, image)));
        var expected = GoldenCase(ClipModel, c => c.GetProperty("image").GetString() == image, "pixel_values");

        Assert.That((actual.Channels, actual.Height, actual.Width), Is.EqualTo((3, 56, 56)));
        var maxAbs = MaxAbs(actual.Data, expected);
        TestContext.Out.WriteLine($"{image}: max |actual - golden| = {maxAbs:E3}; differing {actual.Data.Where((v, i) => Math.Abs(v - expected[i]) > 1e-5).Count()}");
        Assert.That(maxAbs, Is.LessThanOrEqualTo(tolerance));
    }

    [Test]
    public void VideoFramesMatchReference()
    {
        var config = ImageProcessorConfig.FromFolder(Path.Combine(TestPaths.SharedTestData, VideoModel), video: true);
        var preprocessor = new ImagePreprocessor(config);
        var expected = GoldenCase(VideoModel, static _ => true, "pixel_values_videos");
        var frameSize = 3 * 56 * 56;
        Assert.That(expected, Has.Length.EqualTo(4 * frameSize));

        var maxAbs = 0.0;
        for (var frame = 0; frame < 4; frame++)
        {
            var actual = preprocessor.Preprocess(File.ReadAllBytes(TestPaths.TestDataFile(VideoModel, $"frame{frame}.png")));
            Assert.That((actual.Channels, actual.Height, actual.Width), Is.EqualTo((3, 56, 56)));
            maxAbs = Math.Max(maxAbs, MaxAbs(actual.Data, expected.AsSpan(frame * frameSize, frameSize)));
        }

        TestContext.Out.WriteLine($"video frames: max |actual - golden| = {maxAbs:E3}");
        Assert.That(maxAbs, Is.LessThanOrEqualTo(1e-5));
    }

    private static double[] GoldenCase(string model, Func<JsonElement, bool> select, string field)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(TestPaths.TestDataFile(model, "golden.json")));
        var match = document.RootElement.GetProperty("cases").EnumerateArray().First(select);
        return match.GetProperty(field).EnumerateArray().Select(static v => v.GetDouble()).ToArray();
    }

    private static double MaxAbs(float[] actual, ReadOnlySpan<double> expected)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length));
        var max = 0.0;
        for (var i = 0; i < actual.Length; i++)
        {
            max = Math.Max(max, Math.Abs(actual[i] - expected[i]));
        }

        return max;
    }
}
