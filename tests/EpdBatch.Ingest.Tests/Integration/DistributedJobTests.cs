using System.Text;
using System.Text.Json.Nodes;
using EpdBatch.Ingest.Client;
using EpdBatch.Ingest.Jobs;
using EpdBatch.Ingest.Tests.Support;
using EpdBatch.Pipeline.Storage;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace EpdBatch.Ingest.Tests.Integration;

/// <summary>
/// The distributed mode against the real RabbitMQ, Redis and Azurite: jobs submitted over the bus, state in
/// Redis, manifests and results in Azurite, and an ingest that dies mid-publish and is replaced.
/// </summary>
public class DistributedJobTests
{
    private readonly List<IngestHost> _ingests = [];
    private IngestNames _names = null!;
    private FakeStage _stage = null!;
    private IHost _stageHost = null!;
    private string _container = null!;

    [SetUp]
    public async Task StartStage()
    {
        _names = IngestNames.Fresh();
        _stage = new FakeStage(_names.StageQueue);
        _stageHost = await IngestHost.StartStageAsync(_stage);
        _container = TestRun.Name("epd");
    }

    [TearDown]
    public async Task StopAll()
    {
        try
        {
            foreach (var ingest in _ingests)
            {
                await ingest.DisposeAsync();
            }

            await _stageHost.StopAsync();
            _stageHost.Dispose();
        }
        finally
        {
            // Whatever failed above, the durable queues (bound to every ItemCompleted in the vhost) go now, not only with
            // the vhost at the end of the run.
            await RabbitCleanup.DeleteAsync(_names.Queues);
            await RedisKeys.DeleteAsync(_names.KeyPrefix);
        }
    }

    [Test]
    public async Task An_openai_batch_job_runs_over_rabbitmq_redis_and_azurite()
    {
        var ingest = await StartIngestAsync();
        _stage.Failing["q-lost"] = true;
        var manifestUri = await UploadAsync("in/batch.jsonl",
        [
            Lines.OpenAi("q-0", "Describe.", images: [$"az://{_container}/media/0.jpg"]),
            Lines.OpenAi("q-1", "What happens?", video: $"http://127.0.0.1:10000/devstoreaccount1/{_container}/media/1.mp4"),
            Lines.OpenAi("q-2", "Compare.", images: [$"https://devstoreaccount1.blob.core.windows.net/{_container}/media/2.jpg"], video: $"az://{_container}/media/2.mp4"),
            Lines.OpenAi("q-lost", "Gone?", images: [$"az://{_container}/media/missing.jpg"]),
            Lines.OpenAi("q-bad", "Bad.", images: ["https://example.com/x.jpg"]),
        ]);
        var submission = new JobSubmission(manifestUri, $"az://{_container}/out") { IdempotencyKey = TestRun.Name("key"), Model = "llava-test" };

        var submitted = await ingest.Jobs.SubmitAsync(submission, CancellationToken.None);
        var again = await ingest.Jobs.SubmitAsync(submission, CancellationToken.None);
        var job = await ingest.WaitAsync(submitted.JobId);

        Assert.That(again.JobId, Is.EqualTo(submitted.JobId), "the same key makes one job");
        Assert.That(job.State, Is.EqualTo(JobState.Completed));
        Assert.That((job.Total, job.Completed, job.Failed, job.InvalidLines), Is.EqualTo((5, 3, 2, 1)));
        var results = Outputs.ParseLines(await ingest.ReadOutputAsync(job, "results.jsonl"));
        Assert.That(results.Select(r => (Outputs.CustomId(r), r["response"]!["body"]!["choices"]![0]!["token_ids"]!.AsArray().Select(t => (int)t!).ToArray())),
            Is.EqualTo(new[] { ("q-0", FakeStage.TokensOf(0)), ("q-1", FakeStage.TokensOf(1)), ("q-2", FakeStage.TokensOf(2)) }));
        var errors = Outputs.ParseLines(await ingest.ReadOutputAsync(job, "errors.jsonl"));
        Assert.That(errors.Select(e => (Outputs.CustomId(e), (int)e["line"]!, (string)e["stage"]!, (string)e["error"]!["code"]!)),
            Is.EqualTo(new[] { ("q-lost", 4, "encoder", "blob_not_found"), ("q-bad", 5, "ingest", "unsupported_media_uri") }));
        var summary = JsonNode.Parse((await ingest.ReadOutputAsync(job, "summary.json"))!)!;
        Assert.That(((string?)summary["state"], (string?)summary["format"], (string?)summary["model"]), Is.EqualTo(("completed", "openai_batch", "llava-test")));
    }

    [Test]
    public async Task A_restarted_ingest_resumes_the_job_and_every_item_appears_exactly_once()
    {
        var crash = new CrashingSendObserver(after: 20);
        var first = await StartIngestAsync("ingest-1");
        using (first.Bus.ConnectSendObserver(crash))
        {
            foreach (var id in new[] { "item-7", "item-31" })
            {
                _stage.Failing[id] = true;
            }

            var ids = Enumerable.Range(0, 40).Select(i => $"item-{i}").ToList();
            var manifestUri = await UploadAsync("in/nightly.jsonl", ids.Select(id => Lines.Native(id, images: [$"az://{_container}/media/{id}.jpg"])));
            var jobId = (await first.Jobs.SubmitAsync(new JobSubmission(manifestUri, $"az://{_container}/out"), CancellationToken.None)).JobId;

            // Mid-publish: a window is on the broker but not recorded as sent. Then the process "dies", and its
            // lease stays behind for a while, as a killed process's would.
            await crash.Reached.Task.WaitAsync(TimeSpan.FromSeconds(30));
            crash.Kill();
            _ingests.Remove(first);
            await first.DisposeAsync();
            await using var redis = await ConnectionMultiplexer.ConnectAsync(TestServers.Redis);
            var store = new RedisJobStore(redis, Options.Create(new IngestOptions { KeyPrefix = _names.KeyPrefix }));
            var midway = (await store.GetAsync(jobId, CancellationToken.None))!;
            Assert.That(midway.State, Is.EqualTo(JobState.InProgress));
            Assert.That(midway.Published, Is.LessThan(40));

            // A killed process releases nothing: its lease runs out by itself (here 2 s) before another replica takes over.
            Assert.That(await store.TryAcquireLeaseAsync(jobId, "killed-replica", TimeSpan.FromSeconds(2), CancellationToken.None), Is.True);

            // The replacement also "crashes" once between writing the final files and deleting the parts.
            var blobs = new InterruptedCleanupBlobStore(new AzureBlobStore(TestServers.Blob, Options.Create(new EpdStorageOptions()), TimeProvider.System));
            var second = await StartIngestAsync("ingest-2", s => s.AddSingleton<IBlobStore>(blobs));
            var job = await second.WaitAsync(jobId, TimeSpan.FromSeconds(60));

            Assert.That(job.State, Is.EqualTo(JobState.Completed));
            Assert.That((job.Completed, job.Failed, job.Published), Is.EqualTo((38, 2, 40)));
            var results = Outputs.ParseLines(await second.ReadOutputAsync(job, "results.jsonl"));
            var errors = Outputs.ParseLines(await second.ReadOutputAsync(job, "errors.jsonl"));
            Assert.That(results.Concat(errors).Select(Outputs.CustomId), Is.EquivalentTo(ids), "every item exactly once across results and errors");
            Assert.That(results.Select(Outputs.CustomId), Is.Ordered.Using<string>((a, b) => int.Parse(a[5..]).CompareTo(int.Parse(b[5..]))));
            Assert.That(errors.Select(Outputs.CustomId), Is.EqualTo(new[] { "item-7", "item-31" }));
            Assert.That(_stage.Received.Values.Max(), Is.GreaterThan(1), "the unrecorded window was sent again, and its duplicates absorbed");

            var atCrash = await blobs.AtInterruption.Task.WaitAsync(TimeSpan.FromSeconds(5));
            var parts = atCrash.Where(f => f.Key.StartsWith("results.partial-", StringComparison.Ordinal)).SelectMany(f => Outputs.ParseLines(f.Value));
            Assert.That(parts.Select(Outputs.CustomId), Is.EquivalentTo(results.Select(Outputs.CustomId)), "each result exported in exactly one part, across the restart");
            var left = new List<string>();
            await foreach (var uri in second.Blobs.ListAsync(job.OutputUri, CancellationToken.None))
            {
                left.Add(uri[(uri.LastIndexOf('/') + 1)..]);
            }

            Assert.That(left, Is.EqualTo(new[] { "errors.jsonl", "results.jsonl", "summary.json" }), "the parts are deleted once the final files are written, across the second crash");
        }
    }

    [Test]
    public async Task A_sas_token_on_the_manifest_and_output_uris_is_dropped_on_submit_and_kept_nowhere()
    {
        const string Signature = "Sas0Signature1The2Store3Never4Needs";
        var ingest = await StartIngestAsync();
        await UploadAsync("in/sas.jsonl", [Lines.Native("s-0"), Lines.Native("s-1")]);
        var endpoint = $"http://127.0.0.1:10000/devstoreaccount1/{_container}/";
        var sas = "?sv=2024-05-04&sr=b&sp=rw&se=2099-01-01T00%3A00%3A00Z&sig=" + Signature;

        var submitted = await ingest.Jobs.SubmitAsync(new JobSubmission(endpoint + "in/sas.jsonl" + sas, endpoint + "out-sas" + sas), CancellationToken.None);
        var job = await ingest.WaitAsync(submitted.JobId);
        var record = (await ingest.Store.GetAsync(job.JobId, CancellationToken.None))!;

        Assert.That((job.State, job.Completed), Is.EqualTo((JobState.Completed, 2)));
        Assert.That((record.ManifestUri, record.OutputUri), Is.EqualTo((endpoint + "in/sas.jsonl", endpoint + "out-sas")), "the job record keeps the URIs without their SAS");
        Assert.That(job.OutputUri, Is.EqualTo($"{endpoint}out-sas/{job.JobId}/"), "the outputs go to the job's folder, not to a blob named after the prefix");
        Assert.That(Outputs.ParseLines(await ingest.ReadOutputAsync(job, "results.jsonl")).Select(Outputs.CustomId), Is.EquivalentTo(new[] { "s-0", "s-1" }));
        Assert.That(await ingest.ReadOutputAsync(job, "summary.json"), Does.Not.Contain(Signature).And.Contain(endpoint + "in/sas.jsonl"));
        Assert.That(await RedisKeys.ValuesAsync(_names.KeyPrefix), Is.Not.Empty.And.None.Contains(Signature), "no job key in Redis holds the token");
    }

    private async Task<IngestHost> StartIngestAsync(string tag = "ingest", Action<IServiceCollection>? services = null)
    {
        var ingest = await IngestHost.StartDistributedAsync(_names, services: services, tag: tag);
        _ingests.Add(ingest);
        return ingest;
    }

    private async Task<string> UploadAsync(string path, IEnumerable<string> lines)
    {
        var uri = $"az://{_container}/{path}";
        var blobs = new AzureBlobStore(TestServers.Blob, Options.Create(new EpdStorageOptions()), TimeProvider.System);
        await blobs.WriteAsync(uri, Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"), "application/x-ndjson", CancellationToken.None);
        return uri;
    }
}
