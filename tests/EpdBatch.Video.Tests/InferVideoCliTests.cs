using System.Text.Json;

namespace EpdBatch.Video.Tests;

/// <summary>
/// <c>epd infer</c> with a video, run as a process: <c>--video-frames</c> and <c>--video</c> (ffmpeg sampling) both
/// reproduce what transformers computed for onevision-tiny-video (golden.json).
/// </summary>
[TestFixture]
public sealed class InferVideoCliTests
{
    private const string PromptIds = "100,101,1101,102,103,104";

    private string _root = null!;

    [OneTimeSetUp]
    public void CreateFolder()
    {
        _root = Path.Combine(Path.GetTempPath(), "epd-vtest-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_root);
    }

    [OneTimeTearDown]
    public void DeleteFolder() => Directory.Delete(_root, recursive: true);

    [Test]
    public async Task Video_frames_reproduce_the_golden_tokens_features_and_logits()
    {
        var dump = Path.Combine(_root, "frames.json");
        var result = await EpdProcess.RunAsync(["infer", "--model", TestData.Folder(TestData.OnevisionVideo), "--video-frames", string.Join(',', TestData.GoldenFrames()),
            "--prompt-ids", PromptIds, "--max-new-tokens", "24", "--dump-tensors", dump]);

        AssertGolden(result, dump);
    }

    [Test]
    public async Task A_video_file_sampled_with_ffmpeg_reproduces_the_golden_too()
    {
        var dump = Path.Combine(_root, "video.json");
        var result = await EpdProcess.RunAsync(["infer", "--model", TestData.Folder(TestData.OnevisionVideo), "--video", TestData.GoldenVideo(_root), "--frames", "4",
            "--prompt-ids", PromptIds, "--max-new-tokens", "24", "--dump-tensors", dump]);

        AssertGolden(result, dump);
    }

    [Test]
    public async Task A_corrupt_video_file_is_bad_input_with_its_reason()
    {
        var path = Path.Combine(_root, "broken.mp4");
        await File.WriteAllTextAsync(path, "not a video");

        var result = await EpdProcess.RunAsync(["infer", "--model", TestData.Folder(TestData.OnevisionVideo), "--video", path, "--prompt-ids", PromptIds, "--max-new-tokens", "2"]);

        Assert.That(result.ExitCode, Is.EqualTo(2), result.Stderr);
        Assert.That(result.Stderr.Trim(), Does.StartWith("epd: error:").And.Contain("corrupt_video").And.Contain("broken.mp4"));
        Assert.That(result.Stderr.Trim().Split('\n'), Has.Length.EqualTo(1), "one line without --verbose");
    }

    private static void AssertGolden(EpdProcess.Result result, string dump)
    {
        Assert.That(result.ExitCode, Is.Zero, result.Stderr);
        var golden = TestData.GoldenCase(TestData.OnevisionVideo);
        using var output = JsonDocument.Parse(result.Stdout);
        Assert.That(output.RootElement.GetProperty("new_tokens").Ints(), Is.EqualTo(golden.GetProperty("greedy_new_tokens").Ints()), "all 24 greedy tokens");
        Assert.That(output.RootElement.GetProperty("prompt_tokens").GetInt32(), Is.EqualTo(golden.GetProperty("input_ids").GetArrayLength()));

        using var tensors = JsonDocument.Parse(File.ReadAllBytes(dump));
        AssertClose(tensors.RootElement.GetProperty("video_features").Floats(), golden.GetProperty("video_features").Floats(), "video_features");
        AssertClose(tensors.RootElement.GetProperty("last_logits").Floats(), golden.GetProperty("last_logits").Floats(), "last_logits");
    }

    private static void AssertClose(float[] actual, float[] expected, string what)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), what);
        var worst = actual.Zip(expected, (a, e) => Math.Abs(a - e)).Max();
        Assert.That(worst, Is.LessThanOrEqualTo(1e-4), $"{what}: largest difference {worst}");
    }
}
