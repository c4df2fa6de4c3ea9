using System.Text.Json.Nodes;
using EpdBatch.Model.Loading;

namespace EpdBatch.Cli.Tests;

/// <summary>The README's main command, and the embedded <c>epd run</c> on the user's own manifest.</summary>
[TestFixture]
public sealed class DemoAndEmbeddedRunTests
{
    [Test]
    public async Task Epd_demo_runs_the_main_job_and_writes_results_errors_and_summary()
    {
        var work = Path.Combine(Path.GetTempPath(), "epd-demo-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var result = await EpdProcess.RunAsync(["demo", "--workdir", work]);

            Assert.That(result.ExitCode, Is.Zero, result.Stdout + result.Stderr);
            Assert.That(result.Stdout, Does.Contain("RANDOM weights"));
            Assert.That(result.Stdout.Contains((char)0x1b, StringComparison.Ordinal), Is.False, "no escape codes when the output is not a terminal");
            Assert.That(result.Stdout, Does.Match(@"\[\d\d:\d\d:\d\d\] job \S+ completed: encoded 24/24"), "plain progress lines");
            var folder = Directory.GetDirectories(Path.Combine(work, "results")).Single();
            var results = File.ReadAllLines(Path.Combine(folder, "results.jsonl"));
            Assert.That(results, Has.Length.EqualTo(24));
            Assert.That(File.ReadAllText(Path.Combine(folder, "errors.jsonl")), Is.Empty);
            var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "summary.json")))!;
            Assert.That(summary["request_counts"]!["completed"]!.GetValue<int>(), Is.EqualTo(24));
            Assert.That(summary["state"]!.GetValue<string>(), Is.EqualTo("completed"));
            foreach (var line in results.Select(l => JsonNode.Parse(l)!))
            {
                var content = line["response"]!["body"]!["choices"]![0]!["message"]!["content"]!.GetValue<string>();
                Assert.That(content, Is.Not.Empty);
            }
            Assert.That(result.Stdout, Does.Contain(folder));

            // A second run reuses the model and the images.
            var again = await EpdProcess.RunAsync(["demo", "--workdir", work]);
            Assert.That(again.ExitCode, Is.Zero, again.Stderr);
            Assert.That(again.Stdout, Does.Contain("reusing a demo model"));
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    [Test]
    public async Task Epd_run_embedded_gives_the_single_process_tokens_and_reports_bad_lines()
    {
        var work = Path.Combine(Path.GetTempPath(), "epd-run-" + Guid.NewGuid().ToString("N")[..8]);
        var model = Path.Combine(work, "model");
        DemoModelWriter.Write(model, seed: 77);
        Directory.CreateDirectory(Path.Combine(work, "data", "media"));
        var items = new List<(string Prompt, byte[] Image, int MaxTokens)>();
        var lines = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var image = TestPictures.Png(i);
            await File.WriteAllBytesAsync(Path.Combine(work, "data", "media", $"p{i}.png"), image);
            items.Add(($"Question {i}?", image, 5 + i));
            lines.Add(new JsonObject { ["custom_id"] = $"item-{i}", ["prompt"] = $"Question {i}?", ["images"] = new JsonArray($"media/p{i}.png"), ["max_tokens"] = 5 + i }.ToJsonString());
        }
        lines.Add("{not json");

        // Media outside the manifest's folder (the default media root): a path that leaves it, and a link out of it.
        await File.WriteAllBytesAsync(Path.Combine(work, "outside.png"), TestPictures.Png(9));
        File.CreateSymbolicLink(Path.Combine(work, "data", "media", "link.png"), Path.Combine(work, "outside.png"));
        lines.Add(new JsonObject { ["custom_id"] = "up", ["prompt"] = "p", ["images"] = new JsonArray("../outside.png") }.ToJsonString());
        lines.Add(new JsonObject { ["custom_id"] = "link", ["prompt"] = "p", ["images"] = new JsonArray("media/link.png") }.ToJsonString());
        await File.WriteAllLinesAsync(Path.Combine(work, "data", "manifest.jsonl"), lines);
        try
        {
            var result = await EpdProcess.RunAsync(["run", Path.Combine(work, "data", "manifest.jsonl"), "--model", model, "--out", Path.Combine(work, "out")],
                new Dictionary<string, string> { ["EPD_RABBITMQ"] = "", ["EPD_REDIS"] = "", ["EPD_BLOB"] = "" });

            Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.SomeItemsFailed), result.Stdout + result.Stderr);
            var folder = Directory.GetDirectories(Path.Combine(work, "out")).Single();
            var jobId = Path.GetFileName(folder);
            var expected = ReferenceRuntime.Greedy(model, jobId, items);
            var results = File.ReadAllLines(Path.Combine(folder, "results.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
            Assert.That(results, Has.Count.EqualTo(6));
            foreach (var line in results)
            {
                var index = int.Parse(line["custom_id"]!.GetValue<string>()["item-".Length..]);
                var tokens = line["response"]!["body"]!["choices"]![0]!["token_ids"]!.AsArray().Select(t => t!.GetValue<int>());
                Assert.That(tokens, Is.EqualTo(expected[index]), $"item {index}");
            }
            var errors = File.ReadAllLines(Path.Combine(folder, "errors.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
            Assert.That(errors.Select(e => (e["line"]!.GetValue<int>(), e["stage"]!.GetValue<string>(), e["error"]!["code"]!.GetValue<string>())), Is.EqualTo(new[]
            {
                (7, "ingest", "invalid_json"), (8, "ingest", "unsupported_media_uri"), (9, "ingest", "unsupported_media_uri"),
            }));
            Assert.That(errors[1]["error"]!["message"]!.GetValue<string>(), Does.Contain("outside the media root"));
            Assert.That(errors[2]["error"]!["message"]!.GetValue<string>(), Does.Contain("symbolic link"));

            var missingRoot = await EpdProcess.RunAsync(["run", Path.Combine(work, "data", "manifest.jsonl"), "--model", model, "--out", Path.Combine(work, "out"), "--media-root", Path.Combine(work, "nope")],
                new Dictionary<string, string> { ["EPD_RABBITMQ"] = "", ["EPD_REDIS"] = "", ["EPD_BLOB"] = "" });
            Assert.That((missingRoot.ExitCode, missingRoot.Stderr), Is.EqualTo((ExitCodes.InvalidInput, $"epd: error: --media-root {Path.Combine(work, "nope")}: no such folder\n")));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
