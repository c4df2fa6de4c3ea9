using System.Text.Json.Nodes;
using EpdBatch.Ingest.Client;
using EpdBatch.Ingest.Jobs;
using EpdBatch.Ingest.Manifest;
using EpdBatch.Ingest.Tests.Support;
using EpdBatch.Pipeline.Storage;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EpdBatch.Ingest.Tests.Embedded;

/// <summary>
/// Whole jobs in the embedded mode (in-memory bus and stores, a local folder as blob storage) with the fake stage:
/// every state transition, the output files' shapes, duplicates, cancel, retry, idempotency.
/// </summary>
public class JobLifecycleTests
{
    private const string Out = "az://results/runs";

    private FakeStage _stage = null!;
    private IngestHost _ingest = null!;

    [SetUp]
    public void NewStage() => _stage = new FakeStage(TestRun.Name("stage"));

    [TearDown]
    public async Task StopIngest()
    {
        _stage.Hold.TrySetResult();
        if (_ingest is not null)
        {
            await _ingest.DisposeAsync();
        }
    }

    [Test]
    public async Task A_job_moves_validating_in_progress_finalizing_completed_and_exports_its_three_files()
    {
        _ingest = await IngestHost.StartEmbeddedAsync(_stage);
        _stage.Failing["bad-media"] = true;
        var lines = Enumerable.Range(0, 12).Select(i => Lines.Native($"item-{i}", $"Prompt {i}", [$"az://media/{i}.jpg"], maxTokens: 20)).ToList();
        lines.Insert(3, "{\"custom_id\": \"broken\"");
        lines.Add(Lines.Native("bad-media", images: ["az://media/missing.jpg"]));
        var manifest = _ingest.WriteManifest("manifest.jsonl", lines);

        var submitted = await _ingest.Jobs.SubmitAsync(new JobSubmission(manifest, Out) { Model = "llava-test" }, CancellationToken.None);
        var job = await _ingest.WaitAsync(submitted.JobId);

        Assert.That(submitted.CreatedAt, Is.EqualTo(job.CreatedAt));
        Assert.That(job.State, Is.EqualTo(JobState.Completed));
        Assert.That(job.Timestamps.Keys, Is.EqualTo(new[] { "validating", "in_progress", "finalizing", "completed" }));
        Assert.That(job.Timestamps.Values, Is.Ordered);
        Assert.That((job.Total, job.Completed, job.Failed, job.InvalidLines, job.Published), Is.EqualTo((14, 12, 2, 1, 13)));
        Assert.That(job.Progress, Is.EqualTo(1));
        Assert.That(job.OutputUri, Is.EqualTo($"{Out}/{job.JobId}/"));

        var results = Outputs.ParseLines(await _ingest.ReadOutputAsync(job, "results.jsonl"));
        Assert.That(results.Select(Outputs.CustomId), Is.EqualTo(Enumerable.Range(0, 12).Select(i => $"item-{i}")), "ordered by item index");
        var first = results[0];
        var expected = JsonNode.Parse($$"""
            {"id": "{{first["id"]}}", "custom_id": "item-0", "response": {"status_code": 200, "request_id": "{{job.JobId}}-0", "body": {
              "id": "{{first["response"]!["body"]!["id"]}}", "object": "chat.completion", "created": {{first["response"]!["body"]!["created"]}}, "model": "llava-test",
              "choices": [{"index": 0, "message": {"role": "assistant", "content": "A caption for item-0."}, "finish_reason": "stop", "token_ids": [1, 1000, 7]}],
              "usage": {"prompt_tokens": 100, "completion_tokens": 3, "total_tokens": 103} } }, "error": null }
            """);
        Assert.That(JsonNode.DeepEquals(first, expected), Is.True, first.ToJsonString());
        Assert.That((string)first["id"]!, Does.StartWith("batch_req_"));
        var item5 = results[5]["response"]!["body"]!;
        Assert.That(item5["choices"]![0]!["token_ids"]!.AsArray().Select(t => (int)t!), Is.EqualTo(FakeStage.TokensOf(6)), "line 7 holds item-5");

        var errors = Outputs.ParseLines(await _ingest.ReadOutputAsync(job, "errors.jsonl"));
        Assert.That(errors.Select(e => e.ToJsonString()), Is.EqualTo(new[]
        {
            """{"custom_id":null,"line":4,"stage":"ingest","error":{"code":"invalid_json","message":""" + errors[0]["error"]!["message"]!.ToJsonString() + "}}",
            """{"custom_id":"bad-media","line":14,"stage":"encoder","error":{"code":"blob_not_found","message":"Blob not found: az://media/missing.jpg"}}""",
        }));

        var summary = JsonNode.Parse((await _ingest.ReadOutputAsync(job, "summary.json"))!)!;
        Assert.That((string?)summary["state"], Is.EqualTo("completed"));
        Assert.That((string?)summary["model"], Is.EqualTo("llava-test"));
        Assert.That((string?)summary["format"], Is.EqualTo("native"));
        Assert.That(JsonNode.DeepEquals(summary["request_counts"], JsonNode.Parse("""{"total": 14, "completed": 12, "failed": 2, "invalid_lines": 1, "cancelled": 0}""")), Is.True, summary["request_counts"]!.ToJsonString());
        var promptTokens = results.Sum(r => (int)r["response"]!["body"]!["usage"]!["prompt_tokens"]!);
        Assert.That(JsonNode.DeepEquals(summary["tokens"], JsonNode.Parse($$"""{"prompt": {{promptTokens}}, "completion": 36, "total": {{promptTokens + 36}}}""")), Is.True);
        var encoder = summary["stages"]!["encoder"]!;
        Assert.That((double)encoder["busy_ms_total"]!, Is.EqualTo(120));
        Assert.That((int)encoder["items"]!, Is.EqualTo(12));

        // Encoder queue waits are the item indices of the completed items: 0, 1, 2, 4, ..., 12 (item-3 onwards shifted by the broken line).
        var waits = Enumerable.Range(0, 12).Select(i => (double)(i < 3 ? i : i + 1)).Order().ToList();
        Assert.That((double?)encoder["queue_wait_ms_p50"], Is.EqualTo(waits[5]));
        Assert.That((double?)encoder["queue_wait_ms_p95"], Is.EqualTo(waits[11]));
        Assert.That((double)summary["stages"]!["decoder"]!["busy_ms_total"]!, Is.EqualTo(360));
        Assert.That((double)summary["wall_time_seconds"]!, Is.GreaterThan(0));
        Assert.That((double)summary["items_per_second"]!, Is.GreaterThan(0));
        Assert.That((int)summary["configuration"]!["max_images_per_item"]!, Is.EqualTo(8));
        Assert.That(summary["timestamps"]!.AsObject().Select(p => p.Key), Is.EqualTo(new[] { "validating", "in_progress", "finalizing", "completed" }));
        Assert.That(await ListOutputAsync(job), Is.EqualTo(new[] { "errors.jsonl", "results.jsonl", "summary.json" }), "the part files are deleted at the end");
    }

    [Test]
    public async Task An_openai_batch_file_with_image_and_video_parts_runs_to_completion()
    {
        _ingest = await IngestHost.StartEmbeddedAsync(_stage);
        var manifest = _ingest.WriteManifest("batch.jsonl",
        [
            Lines.OpenAi("q-1", "What is in the picture?", images: ["az://media/a.jpg"]),
            Lines.OpenAi("q-2", "What happens in the clip?", video: "az://media/b.mp4"),
            Lines.OpenAi("q-3", "Compare them.", images: ["az://media/a.jpg", "images/local.png"], video: "az://media/b.mp4"),
        ]);

        var job = await _ingest.WaitAsync((await _ingest.Jobs.SubmitAsync(new JobSubmission(manifest, Out), CancellationToken.None)).JobId);

        Assert.That(job.State, Is.EqualTo(JobState.Completed));
        var results = Outputs.ParseLines(await _ingest.ReadOutputAsync(job, "results.jsonl"));
        Assert.That(results.Select(Outputs.CustomId), Is.EqualTo(new[] { "q-1", "q-2", "q-3" }));
        var summary = JsonNode.Parse((await _ingest.ReadOutputAsync(job, "summary.json"))!)!;
        Assert.That((string?)summary["format"], Is.EqualTo("openai_batch"));
    }

    [Test]
    public async Task The_same_idempotency_key_returns_the_same_job()
    {
        _ingest = await IngestHost.StartEmbeddedAsync(_stage);
        var manifest = _ingest.WriteManifest("m.jsonl", [Lines.Native("a"), Lines.Native("b")]);
        var other = _ingest.WriteManifest("other.jsonl", [Lines.Native("a"), Lines.Native("c")]);

        var first = await _ingest.Jobs.SubmitAsync(new JobSubmission(manifest, Out) { IdempotencyKey = "nightly-2025-06-01" }, CancellationToken.None);
        var again = await _ingest.Jobs.SubmitAsync(new JobSubmission(other, Out) { IdempotencyKey = "nightly-2025-06-01" }, CancellationToken.None);
        var derived = await _ingest.Jobs.SubmitAsync(new JobSubmission(manifest, Out), CancellationToken.None);
        var derivedAgain = await _ingest.Jobs.SubmitAsync(new JobSubmission(manifest, Out), CancellationToken.None);
        var otherContent = await _ingest.Jobs.SubmitAsync(new JobSubmission(other, Out), CancellationToken.None);
        var otherOptions = await _ingest.Jobs.SubmitAsync(new JobSubmission(manifest, Out) { DefaultMaxTokens = 8 }, CancellationToken.None);

        Assert.That(again.JobId, Is.EqualTo(first.JobId));
        Assert.That(derivedAgain.JobId, Is.EqualTo(derived.JobId), "no key: a hash of the manifest's content, the model and the options");
        Assert.That(new[] { first.JobId, derived.JobId, otherContent.JobId, otherOptions.JobId }, Is.Unique);
        foreach (var job in new[] { first, derived, otherContent, otherOptions })
        {
            await _ingest.WaitAsync(job.JobId);
        }

        Assert.That(_stage.Received["b"], Is.EqualTo(3), "b ran in the keyed, the derived and the other-options jobs, not in the resubmissions");
        Assert.That(_stage.Received["c"], Is.EqualTo(1), "the keyed resubmission of the other manifest ran nothing");
    }

    [Test]
    public async Task Duplicate_and_late_answers_record_each_item_once()
    {
        _ingest = await IngestHost.StartEmbeddedAsync(_stage);
        foreach (var id in new[] { "d1", "d2", "d3" })
        {
            _stage.Duplicating[id] = true;
        }

        var manifest = _ingest.WriteManifest("m.jsonl", new[] { "d1", "x", "d2", "y", "d3" }.Select(id => Lines.Native(id)));

        var job = await _ingest.WaitAsync((await _ingest.Jobs.SubmitAsync(new JobSubmission(manifest, Out), CancellationToken.None)).JobId);
        await Task.Delay(200);
        job = (await _ingest.Jobs.GetAsync(job.JobId, CancellationToken.None))!;

        Assert.That((job.State, job.Completed, job.Failed), Is.EqualTo((JobState.Completed, 5, 0)));
        var results = Outputs.ParseLines(await _ingest.ReadOutputAsync(job, "results.jsonl"));
        Assert.That(results.Select(Outputs.CustomId), Is.EqualTo(new[] { "d1", "x", "d2", "y", "d3" }));
        Assert.That(results.Select(r => r["response"]!["body"]!["choices"]![0]!["token_ids"]![0]!.GetValue<int>()), Has.None.EqualTo(9), "the first answer wins");
        Assert.That(await _ingest.ReadOutputAsync(job, "errors.jsonl"), Is.Empty);
    }

    [Test]
    public async Task Results_are_flushed_to_parts_while_the_job_runs()
    {
        _ingest = await IngestHost.StartEmbeddedAsync(_stage);
        var ids = Enumerable.Range(0, 12).Select(i => $"n{i}").Append("hold-1").ToList();
        var manifest = _ingest.WriteManifest("m.jsonl", ids.Select(id => Lines.Native(id)));

        var jobId = (await _ingest.Jobs.SubmitAsync(new JobSubmission(manifest, Out), CancellationToken.None)).JobId;
        var running = await _ingest.WaitUntilAsync(jobId, j => j.Parts >= 1 && j.Completed == 12);
        await Task.Delay(600);
        running = (await _ingest.Jobs.GetAsync(jobId, CancellationToken.None))!;

        // What a job that died now would leave: its parts hold every finished item.
        Assert.That(running.State, Is.EqualTo(JobState.InProgress));
        var partial = await ReadPartsAsync(running, "results");
        Assert.That(partial.Select(Outputs.CustomId), Is.EquivalentTo(ids.Take(12)));

        _stage.Hold.SetResult();
        var job = await _ingest.WaitAsync(jobId);
        var results = Outputs.ParseLines(await _ingest.ReadOutputAsync(job, "results.jsonl"));
        Assert.That(results.Select(Outputs.CustomId), Is.EqualTo(ids));
        Assert.That(await ListOutputAsync(job), Is.EqualTo(new[] { "errors.jsonl", "results.jsonl", "summary.json" }));
    }

    [Test]
    public async Task No_more_than_the_in_flight_window_is_sent_before_items_finish()
    {
        _ingest = await IngestHost.StartEmbeddedAsync(_stage, o => (o.MaxInFlight, o.PublishWindow) = (3, 2));
        var ids = Enumerable.Range(0, 10).Select(i => $"hold-{i}").ToList();
        var manifest = _ingest.WriteManifest("m.jsonl", ids.Select(id => Lines.Native(id)).Append("{broken"));

        var jobId = (await _ingest.Jobs.SubmitAsync(new JobSubmission(manifest, Out), CancellationToken.None)).JobId;
        await _ingest.WaitUntilAsync(jobId, j => j.Published >= 3);
        await Task.Delay(500);
        var held = (await _ingest.Jobs.GetAsync(jobId, CancellationToken.None))!;

        // The invalid line is terminal without being sent: it takes no room in the window.
        Assert.That((held.Published, held.Failed, _stage.TotalReceived), Is.EqualTo((3, 1, 3)), "three sent, none finished: the window is full");
        _stage.Hold.SetResult();
        var job = await _ingest.WaitAsync(jobId);
        Assert.That((job.State, job.Completed, job.Published), Is.EqualTo((JobState.Completed, 10, 10)));
        Assert.That(_stage.TotalReceived, Is.EqualTo(10));
    }

    [Test]
    public async Task A_crash_between_the_final_files_and_deleting_the_parts_is_finished_by_the_next_pass()
    {
        InterruptedCleanupBlobStore? blobs = null;
        _ingest = await IngestHost.StartEmbeddedAsync(_stage, services: s => s.AddSingleton<IBlobStore>(sp =>
            blobs = new InterruptedCleanupBlobStore(new LocalFolderStore(sp.GetRequiredService<IOptions<EpdStorageOptions>>().Value.LocalRoot!))));
        _stage.Failing["n3"] = true;
        _stage.Failing["n9"] = true;
        var ids = Enumerable.Range(0, 23).Select(i => $"n{i}").ToList();
        var manifest = _ingest.WriteManifest("m.jsonl", ids.Select(id => Lines.Native(id)));

        var jobId = (await _ingest.Jobs.SubmitAsync(new JobSubmission(manifest, Out), CancellationToken.None)).JobId;
        var atCrash = await blobs!.AtInterruption.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var job = await _ingest.WaitAsync(jobId);

        // At the crash: the final files complete, and the parts, which together hold every outcome once.
        Assert.That(job.State, Is.EqualTo(JobState.Completed));
        Assert.That(job.Parts, Is.GreaterThan(0));
        Assert.That(atCrash.Keys, Is.SupersetOf(new[] { "results.jsonl", "errors.jsonl", "summary.json", "results.partial-0001.jsonl" }));
        var results = Outputs.ParseLines(await _ingest.ReadOutputAsync(job, "results.jsonl"));
        var errors = Outputs.ParseLines(await _ingest.ReadOutputAsync(job, "errors.jsonl"));
        Assert.That(Outputs.ParseLines(atCrash["results.jsonl"]).Select(l => l.ToJsonString()), Is.EqualTo(results.Select(l => l.ToJsonString())));
        Assert.That(PartLines(atCrash, "results"), Is.EquivalentTo(results.Select(l => l.ToJsonString())), "each result in exactly one part, byte for byte");
        Assert.That(PartLines(atCrash, "errors"), Is.EquivalentTo(errors.Select(l => l.ToJsonString())));
        Assert.That(results.Concat(errors).Select(Outputs.CustomId), Is.EquivalentTo(ids));

        // The next pass wrote the same final files again and deleted the parts left.
        Assert.That(await ListOutputAsync(job), Is.EqualTo(new[] { "errors.jsonl", "results.jsonl", "summary.json" }));
        Assert.That(await _ingest.ReadOutputAsync(job, "results.jsonl"), Is.EqualTo(atCrash["results.jsonl"]));
    }

    [Test]
    public async Task Cancel_stops_publishing_keeps_what_finished_and_drops_the_rest_as_cancelled()
    {
        var slow = new SlowSendObserver(TimeSpan.FromMilliseconds(15));
        _ingest = await IngestHost.StartEmbeddedAsync(_stage, o => o.PublishWindow = 1);
        using var observer = _ingest.Bus.ConnectSendObserver(slow);
        var manifest = _ingest.WriteManifest("m.jsonl", Enumerable.Range(0, 300).Select(i => Lines.Native($"c{i}")));

        var jobId = (await _ingest.Jobs.SubmitAsync(new JobSubmission(manifest, Out), CancellationToken.None)).JobId;
        await _ingest.WaitUntilAsync(jobId, j => j.Completed >= 10);
        var cancelling = await _ingest.Jobs.CancelAsync(jobId, CancellationToken.None);
        var job = await _ingest.WaitAsync(jobId);
        var sentAtEnd = _stage.TotalReceived;
        await Task.Delay(300);

        Assert.That(cancelling.State, Is.AnyOf(JobState.Cancelling, JobState.Cancelled));
        Assert.That(job.State, Is.EqualTo(JobState.Cancelled));
        Assert.That(job.Timestamps.Keys, Is.EqualTo(new[] { "validating", "in_progress", "cancelling", "cancelled" }));
        Assert.That(_stage.TotalReceived, Is.EqualTo(sentAtEnd).And.LessThan(300), "nothing is sent after the cancel");
        var results = Outputs.ParseLines(await _ingest.ReadOutputAsync(job, "results.jsonl"));
        var errors = Outputs.ParseLines(await _ingest.ReadOutputAsync(job, "errors.jsonl"));
        Assert.That(results.Count, Is.EqualTo(job.Completed).And.GreaterThanOrEqualTo(10));
        Assert.That(errors.Select(e => (string)e["error"]!["code"]!), Is.All.EqualTo("cancelled"));
        Assert.That(results.Concat(errors).Select(Outputs.CustomId), Is.EquivalentTo(Enumerable.Range(0, 300).Select(i => $"c{i}")), "every item once");
        var summary = JsonNode.Parse((await _ingest.ReadOutputAsync(job, "summary.json"))!)!;
        Assert.That((string?)summary["state"], Is.EqualTo("cancelled"));
        Assert.That((int)summary["request_counts"]!["cancelled"]!, Is.EqualTo(errors.Count));
    }

    [Test]
    public async Task Items_in_flight_past_the_grace_period_are_dropped_and_their_late_results_ignored()
    {
        _ingest = await IngestHost.StartEmbeddedAsync(_stage, o => o.CancelGracePeriod = TimeSpan.FromMilliseconds(500));
        var ids = new[] { "a", "hold-1", "b", "hold-2", "c" };
        var manifest = _ingest.WriteManifest("m.jsonl", ids.Select(id => Lines.Native(id)));

        var jobId = (await _ingest.Jobs.SubmitAsync(new JobSubmission(manifest, Out), CancellationToken.None)).JobId;
        await _ingest.WaitUntilAsync(jobId, j => j.Completed == 3);
        await _ingest.Jobs.CancelAsync(jobId, CancellationToken.None);
        var job = await _ingest.WaitAsync(jobId);
        _stage.Hold.SetResult();
        await Task.Delay(300);
        var after = (await _ingest.Jobs.GetAsync(jobId, CancellationToken.None))!;

        Assert.That((job.State, job.Completed, job.Failed), Is.EqualTo((JobState.Cancelled, 3, 2)));
        Assert.That((after.Completed, after.Failed), Is.EqualTo((3, 2)), "late results of dropped items are ignored");
        var errors = Outputs.ParseLines(await _ingest.ReadOutputAsync(job, "errors.jsonl"));
        Assert.That(errors.Select(e => (Outputs.CustomId(e), (string)e["error"]!["code"]!, (string)e["stage"]!)),
            Is.EqualTo(new[] { ("hold-1", "cancelled", "ingest"), ("hold-2", "cancelled", "ingest") }));
        Assert.That((string)errors[0]["error"]!["message"]!, Does.Contain("before this item finished"));
    }

    [Test]
    public async Task A_job_cancelled_before_its_validation_ends_cancelled_with_nothing_run()
    {
        _ingest = await IngestHost.StartEmbeddedAsync(_stage);
        var manifest = _ingest.WriteManifest("m.jsonl", [Lines.Native("a")]);

        // Another replica holds the job (as if it were validating there) while the cancel arrives.
        var job = new JobRecord
        {
            Id = TestRun.Name("job"),
            State = JobState.Validating,
            ManifestUri = manifest,
            OutputUri = Out,
            IdempotencyKey = TestRun.Name("key"),
            CreatedAt = DateTimeOffset.UtcNow,
            StateTimes = new Dictionary<JobState, DateTimeOffset> { [JobState.Validating] = DateTimeOffset.UtcNow },
        };
        await _ingest.Store.CreateAsync(job, CancellationToken.None);
        await _ingest.Store.TryAcquireLeaseAsync(job.Id, "other-replica", TimeSpan.FromMinutes(1), CancellationToken.None);
        var cancelling = await _ingest.Jobs.CancelAsync(job.Id, CancellationToken.None);
        await _ingest.Store.ReleaseLeaseAsync(job.Id, "other-replica", CancellationToken.None);
        var done = await _ingest.WaitAsync(job.Id);

        Assert.That(cancelling.State, Is.EqualTo(JobState.Cancelling));
        Assert.That(done.State, Is.EqualTo(JobState.Cancelled));
        Assert.That(done.Timestamps.Keys, Is.EqualTo(new[] { "validating", "cancelling", "cancelled" }));
        Assert.That(_stage.TotalReceived, Is.Zero);
        Assert.That(await _ingest.ReadOutputAsync(done, "summary.json"), Does.Contain("\"cancelled\""));
    }

    [Test]
    public async Task Retry_runs_only_the_failed_items_in_a_linked_job_once_their_cause_is_fixed()
    {
        _ingest = await IngestHost.StartEmbeddedAsync(_stage);
        _stage.Failing["f1"] = true;
        _stage.Failing["f2"] = true;
        var manifest = _ingest.WriteManifest("m.jsonl", [Lines.Native("ok1"), Lines.Native("f1"), "not json", Lines.Native("ok2"), Lines.Native("f2")]);
        var first = await _ingest.WaitAsync((await _ingest.Jobs.SubmitAsync(new JobSubmission(manifest, Out), CancellationToken.None)).JobId);
        Assert.That((first.Completed, first.Failed), Is.EqualTo((2, 3)));

        // The missing media is uploaded: the cause is fixed.
        _stage.Failing.Clear();
        var retry = await _ingest.Jobs.RetryAsync(first.JobId, null, CancellationToken.None);
        var retried = await _ingest.WaitAsync(retry.JobId);
        var again = await _ingest.Jobs.RetryAsync(first.JobId, null, CancellationToken.None);
        var original = (await _ingest.Jobs.GetAsync(first.JobId, CancellationToken.None))!;

        Assert.That(retried.State, Is.EqualTo(JobState.Completed));
        Assert.That((retried.Total, retried.Completed, retried.Failed), Is.EqualTo((2, 2, 0)));
        Assert.That(retried.RetryOf, Is.EqualTo(first.JobId));
        Assert.That(original.RetriedBy, Is.EqualTo(retry.JobId));
        Assert.That(again.JobId, Is.EqualTo(retry.JobId), "retrying twice gives the same new job");
        var results = Outputs.ParseLines(await _ingest.ReadOutputAsync(retried, "results.jsonl"));
        Assert.That(results.Select(r => (Outputs.CustomId(r), (string)r["response"]!["request_id"]!)),
            Is.EqualTo(new[] { ("f1", $"{retried.JobId}-1"), ("f2", $"{retried.JobId}-4") }), "the items keep their manifest lines");
        Assert.That(_stage.Received["f1"], Is.EqualTo(2));
        Assert.That(_stage.Received["ok1"], Is.EqualTo(1));

        var nothingLeft = Assert.ThrowsAsync<JobRejectedException>(() => _ingest.Jobs.RetryAsync(retried.JobId, null, CancellationToken.None));
        Assert.That(nothingLeft!.Code, Is.EqualTo("nothing_to_retry"));
        var unknown = Assert.ThrowsAsync<JobRejectedException>(() => _ingest.Jobs.RetryAsync("job-nope", null, CancellationToken.None));
        Assert.That(unknown!.Code, Is.EqualTo("job_not_found"));
    }

    [Test]
    public async Task A_running_job_cannot_be_retried_and_an_unknown_one_cannot_be_cancelled()
    {
        _ingest = await IngestHost.StartEmbeddedAsync(_stage);
        var manifest = _ingest.WriteManifest("m.jsonl", [Lines.Native("hold-1")]);
        var job = await _ingest.Jobs.SubmitAsync(new JobSubmission(manifest, Out), CancellationToken.None);

        var running = Assert.ThrowsAsync<JobRejectedException>(() => _ingest.Jobs.RetryAsync(job.JobId, null, CancellationToken.None));
        var unknown = Assert.ThrowsAsync<JobRejectedException>(() => _ingest.Jobs.CancelAsync("job-nope", CancellationToken.None));

        Assert.That(running!.Code, Is.EqualTo("job_not_finished"));
        Assert.That(unknown!.Code, Is.EqualTo("job_not_found"));
    }

    [TestCase("empty", ManifestErrorCodes.EmptyManifest)]
    [TestCase("strict", ManifestErrorCodes.StrictValidationFailed)]
    [TestCase("all-invalid", ManifestErrorCodes.NoValidItems)]
    [TestCase("missing", ManifestErrorCodes.ManifestNotFound)]
    [TestCase("too-many", ManifestErrorCodes.TooManyItems)]
    public async Task Validation_failures_move_validating_to_failed_and_still_export_why(string kind, string code)
    {
        _ingest = await IngestHost.StartEmbeddedAsync(_stage, o => o.MaxItemsPerJob = 3);
        var manifest = kind switch
        {
            "empty" => _ingest.WriteManifest("m.jsonl", ["", "  "]),
            "strict" => _ingest.WriteManifest("m.jsonl", [Lines.Native("a"), "{oops", Lines.Native("b")]),
            "all-invalid" => _ingest.WriteManifest("m.jsonl", ["[]", "{oops"]),
            "too-many" => _ingest.WriteManifest("m.jsonl", Enumerable.Range(0, 4).Select(i => Lines.Native($"i{i}"))),
            _ => Path.Combine(_ingest.Root, "nowhere.jsonl"),
        };

        var submitted = await _ingest.Jobs.SubmitAsync(new JobSubmission(manifest, Out) { Strict = kind == "strict", IdempotencyKey = TestRun.Name("k") }, CancellationToken.None);
        var job = await _ingest.WaitAsync(submitted.JobId);

        Assert.That(job.State, Is.EqualTo(JobState.Failed));
        Assert.That(job.ErrorCode, Is.EqualTo(code));
        Assert.That(job.Timestamps.Keys, Is.EqualTo(new[] { "validating", "failed" }));
        Assert.That(_stage.TotalReceived, Is.Zero);
        var summary = JsonNode.Parse((await _ingest.ReadOutputAsync(job, "summary.json"))!)!;
        Assert.That(((string?)summary["state"], (string?)summary["error"]!["code"]), Is.EqualTo(("failed", code)));
        if (kind == "strict")
        {
            var errors = Outputs.ParseLines(await _ingest.ReadOutputAsync(job, "errors.jsonl"));
            Assert.That(errors.Select(e => (int)e["line"]!), Is.EqualTo(new[] { 2 }));
        }
    }

    [Test]
    public async Task A_missing_manifest_without_a_key_is_rejected_at_once()
    {
        _ingest = await IngestHost.StartEmbeddedAsync(_stage);

        var rejected = Assert.ThrowsAsync<JobRejectedException>(() => _ingest.Jobs.SubmitAsync(new JobSubmission(Path.Combine(_ingest.Root, "nowhere.jsonl"), Out), CancellationToken.None));
        var badOutput = Assert.ThrowsAsync<JobRejectedException>(() => _ingest.Jobs.SubmitAsync(new JobSubmission("m.jsonl", "../../elsewhere") { IdempotencyKey = "k" }, CancellationToken.None));

        Assert.That(rejected!.Code, Is.EqualTo(ManifestErrorCodes.ManifestNotFound));
        Assert.That(badOutput!.Code, Is.EqualTo("invalid_output_uri"));
    }

    [Test]
    public async Task An_export_that_fails_for_good_moves_finalizing_to_failed()
    {
        _ingest = await IngestHost.StartEmbeddedAsync(_stage, services: s => s.AddSingleton<IBlobStore>(sp =>
            new FailingBlobStore(new LocalFolderStore(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<EpdStorageOptions>>().Value.LocalRoot!), "results.jsonl")));
        var manifest = _ingest.WriteManifest("m.jsonl", [Lines.Native("a")]);

        var job = await _ingest.WaitAsync((await _ingest.Jobs.SubmitAsync(new JobSubmission(manifest, Out), CancellationToken.None)).JobId);

        Assert.That(job.State, Is.EqualTo(JobState.Failed));
        Assert.That(job.ErrorCode, Is.EqualTo("export_failed"));
        Assert.That(job.Timestamps.Keys, Is.EqualTo(new[] { "validating", "in_progress", "finalizing", "failed" }));
    }

    [Test]
    public async Task An_export_that_fails_for_good_moves_cancelling_to_failed()
    {
        _ingest = await IngestHost.StartEmbeddedAsync(_stage, o => o.CancelGracePeriod = TimeSpan.Zero, s => s.AddSingleton<IBlobStore>(sp =>
            new FailingBlobStore(new LocalFolderStore(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<EpdStorageOptions>>().Value.LocalRoot!), "results.jsonl")));
        var manifest = _ingest.WriteManifest("m.jsonl", [Lines.Native("hold-1")]);

        var jobId = (await _ingest.Jobs.SubmitAsync(new JobSubmission(manifest, Out), CancellationToken.None)).JobId;
        await _ingest.WaitUntilAsync(jobId, j => j.Published == 1);
        await _ingest.Jobs.CancelAsync(jobId, CancellationToken.None);
        var job = await _ingest.WaitAsync(jobId);

        Assert.That(job.State, Is.EqualTo(JobState.Failed));
        Assert.That(job.Timestamps.Keys, Is.EqualTo(new[] { "validating", "in_progress", "cancelling", "failed" }));
    }

    [Test]
    public async Task Status_lists_jobs_newest_first_with_their_stage_counts()
    {
        _ingest = await IngestHost.StartEmbeddedAsync(_stage);
        var manifest = _ingest.WriteManifest("m.jsonl", [Lines.Native("a")]);
        var first = await _ingest.WaitAsync((await _ingest.Jobs.SubmitAsync(new JobSubmission(manifest, Out) { IdempotencyKey = "one" }, CancellationToken.None)).JobId);
        await Task.Delay(1100);
        var second = await _ingest.WaitAsync((await _ingest.Jobs.SubmitAsync(new JobSubmission(manifest, Out) { IdempotencyKey = "two" }, CancellationToken.None)).JobId);
        var progress = _ingest.Services.GetRequiredService<EpdBatch.Pipeline.Progress.IStageProgress>();
        await progress.IncrementAsync(second.JobId, "encoder", CancellationToken.None);

        var list = await _ingest.Jobs.ListAsync(10, CancellationToken.None);

        Assert.That(list.Select(j => j.JobId), Is.EqualTo(new[] { second.JobId, first.JobId }));
        Assert.That(list[0].StageCounts["encoder"], Is.EqualTo(1));
        Assert.That(await _ingest.Jobs.GetAsync("job-nope", CancellationToken.None), Is.Null);
    }

    private async Task<List<JsonObject>> ReadPartsAsync(JobStatus job, string kind)
    {
        var lines = new List<JsonObject>();
        await foreach (var uri in _ingest.Blobs.ListAsync(job.OutputUri + kind + ".partial-", CancellationToken.None))
        {
            lines.AddRange(Outputs.ParseLines(System.Text.Encoding.UTF8.GetString(await _ingest.Blobs.ReadAsync(uri, CancellationToken.None))));
        }

        return lines;
    }

    private static IEnumerable<string> PartLines(IReadOnlyDictionary<string, string> files, string kind) =>
        files.Where(f => f.Key.StartsWith(kind + ".partial-", StringComparison.Ordinal)).SelectMany(f => Outputs.ParseLines(f.Value)).Select(l => l.ToJsonString());

    /// <summary>The names of the files in the job's output folder, in name order.</summary>
    private async Task<List<string>> ListOutputAsync(JobStatus job)
    {
        var names = new List<string>();
        await foreach (var uri in _ingest.Blobs.ListAsync(job.OutputUri, CancellationToken.None))
        {
            names.Add(uri[(uri.LastIndexOf('/') + 1)..]);
        }

        return names;
    }
}
