using System.Text.Json;
using EpdBatch.Model.Tests;

namespace EpdBatch.Cli.Tests;

/// <summary><c>epd infer</c> prints the reference's tokens and dumps the reference's tensors.</summary>
[TestFixture]
public sealed class InferCommandTests
{
    [TestCase(0, "square56.png", 1e-5)]
    [TestCase(1, "rect80x64.png", 2e-2)]
    public async Task Infer_from_the_image_file_matches_the_reference(int caseIndex, string image, double pixelTolerance)
    {
        var folder = TestData.Folder("llava-tiny-clip-llama");
        var golden = TestData.Golden("llava-tiny-clip-llama").GetProperty("cases")[caseIndex];
        var dump = Path.Combine(Path.GetTempPath(), $"epd-dump-{Guid.NewGuid():N}.json");
        var ids = string.Join(",", golden.GetProperty("prompt_ids").Ints());

        var result = await EpdProcess.RunAsync(["infer", "--model", folder, "--image", Path.Combine(folder, image),
            "--prompt-ids", ids, "--max-new-tokens", "24", "--greedy", "--dump-tensors", dump]);

        Assert.That(result.ExitCode, Is.Zero, result.Stderr);
        using var output = JsonDocument.Parse(result.Stdout);
        var tokens = output.RootElement.GetProperty("new_tokens").Ints();
        using var tensors = JsonDocument.Parse(File.ReadAllText(dump));
        var features = tensors.RootElement.GetProperty("image_features").Floats();
        var logits = tensors.RootElement.GetProperty("last_logits").Floats();
        if (caseIndex == 0)
        {
            // Exact preprocessing: every number must match.
            Assert.That(tokens, Is.EqualTo(golden.GetProperty("greedy_new_tokens").Ints()));
            Assert.That(MaxAbs(features, golden.GetProperty("image_features").Floats()), Is.LessThanOrEqualTo(1e-4));
            Assert.That(MaxAbs(logits, golden.GetProperty("last_logits").Floats()), Is.LessThanOrEqualTo(1e-4));
        }
        else
        {
            // The resize may differ within the pixel tolerance; the shapes and the run must still hold.
            Assert.That(tokens, Has.Length.EqualTo(24));
            Assert.That(features, Has.Length.EqualTo(16 * 64));
        }
        Assert.That(pixelTolerance, Is.GreaterThan(0));
    }

    [Test]
    public async Task Bad_arguments_give_one_line_and_the_invalid_input_exit_code()
    {
        var result = await EpdProcess.RunAsync(["infer", "--model", "/nonexistent-model", "--prompt-ids", "1,2"]);
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.InvalidInput));
        Assert.That(result.Stderr.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(result.Stderr, Does.StartWith("epd: error:").And.Contain("/nonexistent-model"));

        result = await EpdProcess.RunAsync(["infer", "--model", TestData.Folder("llava-tiny-clip-llama"), "--prompt-ids", "1,x"]);
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.InvalidInput));
        Assert.That(result.Stderr, Does.Contain("--prompt-ids"));
    }

    private static double MaxAbs(float[] a, float[] b)
    {
        Assert.That(a, Has.Length.EqualTo(b.Length));
        return a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
    }
}
