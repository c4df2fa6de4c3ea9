using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using EpdBatch.Ingest.Client;
using EpdBatch.Ingest.Jobs;
using EpdBatch.Model.Loading;
using StackExchange.Redis;

namespace EpdBatch.Cli.Tests;

/// <summary>
/// Jobs over the four stages as separate processes (real RabbitMQ, Redis and Azurite on loopback): an ingest
/// SIGKILLed mid-job and replaced, and a cancel mid-job. The encoder, prefill and decoder processes are started
/// once for the fixture; each test starts its own ingest processes.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class JobRecoveryTests
{
    private const int Images = 24;

    // Short leases and polls so that the replacement ingest takes the job over in a few seconds; small, frequent
    // flushes so that part files exist when the ingest is killed; a cancel grace well above what the test allows
    // the cancel to take, so that only the stages' own skips can settle it in time.
    private static readonly Dictionary<string, string> s_ingestSettings = new()
    {
        ["Epd__Ingest__LeaseDuration"] = "00:00:03",
        ["Epd__Ingest__PollInterval"] = "00:00:00.250",
        ["Epd__Ingest__FlushEveryItems"] = "8",
        ["Epd__Ingest__FlushInterval"] = "00:00:00.500",
        ["Epd__Ingest__PublishWindow"] = "16",
        ["Epd__Ingest__CancelGracePeriod"] = "00:01:00",
    };

    private string _work = null!;
    private string _vhost = null!;
    private string _prefix = null!;
    private string _container = null!;
    private Dictionary<string, string> _environment = null!;
    private ServiceProcesses _stages = null!;
    private IngestClientHost _client = null!;

    [OneTimeSetUp]
    public async Task StartStages()
    {
        _work = Path.Combine(Path.GetTempPath(), "epd-recovery-" + Guid.NewGuid().ToString("N")[..8]);
        var model = Path.Combine(_work, "model");
        DemoModelWriter.Write(model, seed: 91);
        _vhost = await Loopback.CreateVhostAsync();
        _prefix = $"epd:test:{_vhost}:";
        _container = "epdrecovery" + Guid.NewGuid().ToString("N")[..10];
        _environment = new Dictionary<string, string>(s_ingestSettings)
        {
            ["EPD_RABBITMQ"] = Loopback.RabbitMq(_vhost),
            ["EPD_REDIS"] = Loopback.Redis,
            ["EPD_BLOB"] = Loopback.Blob,
            ["EPD_MODEL"] = model,
            ["Epd__Ingest__KeyPrefix"] = _prefix,
        };
        _client = await IngestClientHost.StartAsync(_environment);
        for (var i = 0; i < Images; i++)
        {
            await _client.Blobs.WriteAsync($"az://{_container}/media/img{i:D2}.png", TestPictures.Png(i), "image/png", CancellationToken.None);
        }

        _stages = new ServiceProcesses(Path.Combine(_work, "stages"), _environment);
        await Task.WhenAll(_stages.StartAsync("encoder"), _stages.StartAsync("prefill"), _stages.StartAsync("decoder"));
    }

    [OneTimeTearDown]
    public async Task StopStages()
    {
        try
        {
            await _stages.DisposeAsync();
            await _client.DisposeAsync();
            await using var redis = await ConnectionMultiplexer.ConnectAsync(Loopback.Redis);
            var server = redis.GetServer(redis.GetEndPoints()[0]);
            foreach (var key in server.Keys(pattern: _prefix + "*"))
            {
                await redis.GetDatabase().KeyDeleteAsync(key);
            }
        }
        finally
        {
            await Loopback.DeleteVhostAsync(_vhost);
            Directory.Delete(_work, recursive: true);
        }
    }

    [Test]
    public async Task An_ingest_killed_mid_job_is_replaced_and_every_item_ends_exactly_once()
    {
        var ids = await UploadManifestAsync("kill", items: 120, withMissingBlob: true);
        await using var ingests = new ServiceProcesses(Path.Combine(_work, "kill"), _environment);
        var first = await ingests.StartAsync("ingest");
        var submitted = await _client.Jobs.SubmitAsync(new JobSubmission($"az://{_container}/kill.jsonl", $"az://{_container}/out-kill"), CancellationToken.None);

        // Mid-job: some results in, and flushed to a part; not all of them.
        var before = await _client.WaitUntilAsync(submitted.JobId, j => j.Completed > 0 && j.Parts > 0, TimeSpan.FromSeconds(60), "started");
        await ingests.KillAsync(first);
        var killedAt = Stopwatch.StartNew();
        var atKill = (await _client.Jobs.GetAsync(submitted.JobId, CancellationToken.None))!;
        Assert.That(atKill.State, Is.EqualTo(JobState.InProgress), "the kill must land mid-job");
        Assert.That(atKill.Completed + atKill.Failed, Is.LessThan(ids.Count), "the kill must land before the end");
        var partsAtKill = (await _client.ListOutputAsync(atKill)).Count(n => n.Contains(".partial-", StringComparison.Ordinal));
        Assert.That(partsAtKill, Is.GreaterThan(0), "what the killed ingest finished is in part files");

        await ingests.StartAsync("ingest");
        await _client.WaitUntilAsync(submitted.JobId, j => j.Completed + j.Failed > atKill.Completed + atKill.Failed || j.IsFinished,
            TimeSpan.FromSeconds(30), "moving again");
        var resumedAfter = killedAt.Elapsed;
        var job = await _client.WaitUntilAsync(submitted.JobId, j => j.IsFinished, TimeSpan.FromSeconds(90), "finished");
        TestContext.Out.WriteLine($"killed at {before.Completed}..{atKill.Completed} of {ids.Count} completed, {partsAtKill} part files; " +
            $"moving again {resumedAfter.TotalSeconds:F1} s after the kill, finished {killedAt.Elapsed.TotalSeconds:F1} s after it");

        Assert.That(job.State, Is.EqualTo(JobState.Completed));
        Assert.That((job.Total, job.Completed, job.Failed), Is.EqualTo((ids.Count, ids.Count - 1, 1)));
        var results = await ReadLinesAsync(job, "results.jsonl");
        var errors = await ReadLinesAsync(job, "errors.jsonl");
        var exported = results.Concat(errors).Select(CustomId).ToList();
        Assert.That(exported, Is.Unique, "no custom_id exported twice");
        Assert.That(exported, Is.EquivalentTo(ids), "every item once across results.jsonl and errors.jsonl");
        Assert.That(errors.Select(e => (CustomId(e), (string?)e["error"]!["code"])), Is.EqualTo(new[] { ("missing", (string?)"blob_not_found") }));
        Assert.That(await _client.ListOutputAsync(job), Is.EquivalentTo(new[] { "results.jsonl", "errors.jsonl", "summary.json" }), "the part files are gone");
        var summary = JsonNode.Parse(await ReadAsync(job, "summary.json"))!;
        Assert.That(((int)summary["request_counts"]!["total"]!, (int)summary["request_counts"]!["completed"]!), Is.EqualTo((ids.Count, ids.Count - 1)));
    }

    [Test]
    public async Task A_cancel_mid_job_skips_the_queued_items_in_every_stage_and_exports_what_finished()
    {
        var ids = await UploadManifestAsync("cancel", items: 240, withMissingBlob: false);
        await using var ingests = new ServiceProcesses(Path.Combine(_work, "cancel"), _environment);
        await ingests.StartAsync("ingest");
        var submitted = await _client.Jobs.SubmitAsync(new JobSubmission($"az://{_container}/cancel.jsonl", $"az://{_container}/out-cancel"), CancellationToken.None);

        await _client.WaitUntilAsync(submitted.JobId, j => j.Completed > 0 && j.Published == ids.Count, TimeSpan.FromSeconds(60), "started");
        var clock = Stopwatch.StartNew();
        await _client.Jobs.CancelAsync(submitted.JobId, CancellationToken.None);
        var job = await _client.WaitUntilAsync(submitted.JobId, j => j.IsFinished, TimeSpan.FromSeconds(45), "finished");
        var settled = clock.Elapsed;
        var stagesAtEnd = await _client.Progress.GetAsync(job.JobId, CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var stagesLater = await _client.Progress.GetAsync(job.JobId, CancellationToken.None);
        TestContext.Out.WriteLine($"cancelled at {job.Completed} of {ids.Count} completed; settled {settled.TotalSeconds:F1} s after the cancel; " +
            $"stage counts {string.Join(", ", stagesAtEnd.Select(p => $"{p.Key} {p.Value}"))}");

        Assert.That(job.State, Is.EqualTo(JobState.Cancelled));
        Assert.That(settled, Is.LessThan(TimeSpan.FromSeconds(30)), "the stages' skips settle the cancel, well within its one-minute grace");
        Assert.That(stagesLater, Is.EquivalentTo(stagesAtEnd), "no stage works on the job once it is cancelled");
        Assert.That(stagesAtEnd.GetValueOrDefault("decoder"), Is.LessThanOrEqualTo(job.Completed), "the decoder ran no item that did not finish");
        var results = await ReadLinesAsync(job, "results.jsonl");
        var errors = await ReadLinesAsync(job, "errors.jsonl");
        Assert.That(results, Has.Count.EqualTo(job.Completed).And.Count.GreaterThan(0), "what finished is exported");
        Assert.That(results.Concat(errors).Select(CustomId), Is.EquivalentTo(ids), "every item once");
        Assert.That(errors.Select(e => (string?)e["error"]!["code"]), Is.All.EqualTo("cancelled"));
        var skippedBy = errors.GroupBy(e => (string)e["stage"]!).ToDictionary(g => g.Key, g => g.Count());
        TestContext.Out.WriteLine($"cancelled items by stage: {string.Join(", ", skippedBy.Select(p => $"{p.Key} {p.Value}"))}");
        // Where the queued items wait depends on which stage is the slowest (here the decoder): that stage skips them.
        Assert.That(skippedBy.Where(p => p.Key != "ingest").Sum(p => p.Value), Is.GreaterThan(0), "queued items were skipped by the stages, not run");
        Assert.That(await _client.ListOutputAsync(job), Is.EquivalentTo(new[] { "results.jsonl", "errors.jsonl", "summary.json" }));
        Assert.That((string?)JsonNode.Parse(await ReadAsync(job, "summary.json"))!["state"], Is.EqualTo("cancelled"));
    }

    /// <summary>A manifest of <paramref name="items"/> items over the fixture's images (a few tokens each), plus one whose blob is missing.</summary>
    private async Task<List<string>> UploadManifestAsync(string name, int items, bool withMissingBlob)
    {
        var ids = new List<string>();
        var manifest = new StringBuilder();
        string[] prompts = ["Describe the image.", "What is in this picture?", "Caption it.", "List the colours."];
        for (var i = 0; i < items; i++)
        {
            var id = $"{name}-{i:D3}";
            ids.Add(id);
            manifest.AppendLine(new JsonObject
            {
                ["custom_id"] = id,
                ["prompt"] = prompts[i % prompts.Length] + (i >= Images ? $" ({i / Images})" : ""),
                ["images"] = new JsonArray($"az://{_container}/media/img{i % Images:D2}.png"),
                ["max_tokens"] = 6 + i % 11,
            }.ToJsonString());
        }
        if (withMissingBlob)
        {
            ids.Add("missing");
            manifest.AppendLine($$"""{"custom_id": "missing", "prompt": "x", "images": ["az://{{_container}}/media/nope.png"], "max_tokens": 4}""");
        }
        await _client.Blobs.WriteAsync($"az://{_container}/{name}.jsonl", Encoding.UTF8.GetBytes(manifest.ToString()), "application/x-ndjson", CancellationToken.None);
        return ids;
    }

    private async Task<string> ReadAsync(JobStatus job, string file) =>
        Encoding.UTF8.GetString(await _client.Blobs.ReadAsync(job.OutputUri + file, CancellationToken.None));

    private async Task<List<JsonObject>> ReadLinesAsync(JobStatus job, string file) =>
        (await ReadAsync(job, file)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => (JsonObject)JsonNode.Parse(l)!).ToList();

    private static string CustomId(JsonObject line) => (string)line["custom_id"]!;
}
