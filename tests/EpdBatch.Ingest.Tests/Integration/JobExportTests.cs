using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using EpdBatch.Contracts;
using EpdBatch.Ingest.Coordination;
using EpdBatch.Ingest.Jobs;
using EpdBatch.Ingest.Manifest;
using EpdBatch.Ingest.Tests.Support;
using EpdBatch.Pipeline;
using EpdBatch.Pipeline.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace EpdBatch.Ingest.Tests.Integration;

/// <summary>
/// The final export of a job of a few thousand outcomes, recorded out of order, results and errors interleaved:
/// on Redis and Azurite, and on the in-process store and a local folder (the embedded mode).
/// </summary>
[TestFixture(true)]
[TestFixture(false)]
public class JobExportTests(bool distributed)
{
    private const int Lines = 2_600;
    private static readonly DateTimeOffset s_t0 = new(2026, 11, 25, 2, 0, 0, TimeSpan.Zero);
    private static readonly Lazy<ConnectionMultiplexer> s_redis = new(() => ConnectionMultiplexer.Connect(TestServers.Redis));

    private readonly IOptions<IngestOptions> _options = Options.Create(new IngestOptions { KeyPrefix = $"epdtest:{TestRun.Name("export")}:" });
    private IJobStore _store = null!;
    private IBlobStore _blobs = null!;
    private string _output = null!;
    private string? _localRoot;

    [SetUp]
    public void CreateStores()
    {
        if (distributed)
        {
            _store = new RedisJobStore(s_redis.Value, _options);
            // Small blocks, so that each final file is many staged blocks and one commit.
            _blobs = new AzureBlobStore(TestServers.Blob, Options.Create(new EpdStorageOptions { BlobBlockSizeBytes = 64 * 1024 }), TimeProvider.System);
            _output = $"az://{TestRun.Name("export")}/runs";
        }
        else
        {
            _store = new InMemoryJobStore(TimeProvider.System);
            _localRoot = TestRun.TempFolder();
            _blobs = new LocalFolderStore(_localRoot);
            _output = "runs";
        }
    }

    [TearDown]
    public async Task DeleteEverything()
    {
        await RedisKeys.DeleteAsync(_options.Value.KeyPrefix);
        await foreach (var uri in _blobs.ListAsync(_output + "/", CancellationToken.None))
        {
            await _blobs.DeleteAsync(uri, CancellationToken.None);
        }

        if (_localRoot is not null)
        {
            Directory.Delete(_localRoot, recursive: true);
        }
    }

    [Test]
    public async Task The_final_files_are_ordered_by_index_and_byte_for_byte_those_of_the_whole_job_rendered_at_once()
    {
        var (job, outcomes) = await RecordGoldenJobAsync();
        var exporter = new JobExporter(_store, _blobs, _options, NullLogger<JobExporter>.Instance);
        Assert.That(await exporter.FlushAsync(job, CancellationToken.None), Is.True);
        job = (await _store.GetAsync(job.Id, CancellationToken.None))!;

        await exporter.ExportAsync(job, JobState.Completed, s_t0.AddMinutes(42.123456), CancellationToken.None);

        var results = await ReadAsync(job, JobExporter.ResultsFile);
        var errors = await ReadAsync(job, JobExporter.ErrorsFile);
        var summary = await ReadAsync(job, JobExporter.SummaryFile);
        var (expectedResults, expectedErrors) = RenderAtOnce(job, outcomes);
        Assert.That(results, Is.EqualTo(expectedResults), "results.jsonl");
        Assert.That(errors, Is.EqualTo(expectedErrors), "errors.jsonl");

        // The SHA-256 of the three files that the export wrote for these outcomes when it still held the whole job
        // in memory (both fixtures gave these): its rendering, its ordering and every number of its summary,
        // to the byte (the summary's output folder, which differs per run, aside).
        var summaryText = Encoding.UTF8.GetString(summary).Replace(SecretRedactor.Redact(job.OutputFolder), "<output>", StringComparison.Ordinal);
        Assert.That(Sha256(results), Is.EqualTo("9472b65d2db6f60906aecd704e0e398748d7798079fa27a2cc3a09598456f918"));
        Assert.That(Sha256(errors), Is.EqualTo("b1ce71a4dfc5939937d43f7e0549b3ea88503d3808aa83d2205b8bcc62c16e4c"));
        Assert.That(Sha256(Encoding.UTF8.GetBytes(summaryText)), Is.EqualTo("6a03c6163fb038e824b6289358ff309718a5dca7d4c1b636f61b5560563ea36c"), summaryText);
        Assert.That(await ListAsync(job), Is.EqualTo(new[] { "errors.jsonl", "results.jsonl", "summary.json" }), "the part is deleted");
    }

    [Test]
    public async Task Exporting_again_writes_the_same_three_files()
    {
        var (job, _) = await RecordGoldenJobAsync();
        var exporter = new JobExporter(_store, _blobs, _options, NullLogger<JobExporter>.Instance);
        await exporter.FlushAsync(job, CancellationToken.None);
        job = (await _store.GetAsync(job.Id, CancellationToken.None))!;
        var finishedAt = s_t0.AddHours(1);

        await exporter.ExportAsync(job, JobState.Completed, finishedAt, CancellationToken.None);
        var first = await ReadAllAsync(job);
        await exporter.ExportAsync(job, JobState.Completed, finishedAt, CancellationToken.None);
        var second = await ReadAllAsync(job);

        Assert.That(first.Keys, Is.EqualTo(new[] { "errors.jsonl", "results.jsonl", "summary.json" }));
        Assert.That(second, Is.EqualTo(first));
    }

    [Test]
    public async Task An_export_cut_short_leaves_the_final_files_as_they_were()
    {
        var (job, _) = await RecordGoldenJobAsync();
        var exporter = new JobExporter(_store, _blobs, _options, NullLogger<JobExporter>.Instance);
        await exporter.FlushAsync(job, CancellationToken.None);
        job = (await _store.GetAsync(job.Id, CancellationToken.None))!;
        // results.jsonl's connection is lost at its third page, after two pages (hundreds of KB) went out.
        var cutShort = new JobExporter(_store, new FailingBlobStore(_blobs, JobExporter.ResultsFile, piecesBeforeFailure: 2), _options, NullLogger<JobExporter>.Instance);

        Assert.ThrowsAsync<IOException>(() => cutShort.ExportAsync(job, JobState.Completed, s_t0.AddHours(1), CancellationToken.None));
        Assert.That(await ListAsync(job), Is.EqualTo(new[] { "errors.partial-0001.jsonl", "results.partial-0001.jsonl" }), "no final file, and the parts kept");
        Assert.That(TemporaryFiles(), Is.Empty);

        await exporter.ExportAsync(job, JobState.Completed, s_t0.AddHours(1), CancellationToken.None);
        var exported = await ReadAllAsync(job);
        Assert.ThrowsAsync<IOException>(() => cutShort.ExportAsync(job, JobState.Completed, s_t0.AddHours(2), CancellationToken.None));

        Assert.That(await ReadAllAsync(job), Is.EqualTo(exported), "the previous final files, whole");
        Assert.That(TemporaryFiles(), Is.Empty);
    }

    /// <summary>
    /// A job of <see cref="Lines"/> manifest lines recorded in a shuffled order: most complete (with every stage's
    /// timings, or some stages' only), others fail in a stage, a few are invalid lines or cancelled.
    /// </summary>
    private async Task<(JobRecord Job, List<ItemOutcome> Outcomes)> RecordGoldenJobAsync()
    {
        var job = new JobRecord
        {
            Id = "job-export-golden",
            State = JobState.InProgress,
            ManifestUri = "az://in/nightly.jsonl",
            OutputUri = _output,
            Model = "llava-test",
            DefaultMaxTokens = 32,
            IdempotencyKey = "nightly-2026-11-25",
            CreatedAt = s_t0,
            StateTimes = new Dictionary<JobState, DateTimeOffset> { [JobState.Validating] = s_t0, [JobState.InProgress] = s_t0.AddSeconds(3.5) },
        };
        await _store.CreateAsync(job, CancellationToken.None);

        var random = new Random(7);
        var outcomes = new List<ItemOutcome>();
        var items = new List<ManifestItem>();
        for (var index = 0; index < Lines; index++)
        {
            var customId = $"item-{index}";
            if (index % 97 == 5)
            {
                outcomes.Add(new ItemOutcome(index, index % 2 == 0 ? null : customId, null, new ItemError(PipelineStages.Ingest, "invalid_json", $"Line {index + 1}: not JSON at byte {index % 13}."), s_t0));
                continue;
            }

            items.Add(new ManifestItem(index + 1, customId, "Describe.", [new MediaReference(MediaKind.Image, $"az://media/{index}.jpg")], new SamplingSettings(32)));
            var at = s_t0.AddMilliseconds(1000 + (index * 7919 % 100_000));
            outcomes.Add((index % 11) switch
            {
                3 => new ItemOutcome(index, customId, null, new ItemError(PipelineStages.Encoder, "media_unreadable", $"az://media/{index}.jpg: \"not an image\" <é ✓>"), at),
                7 when index > 2_000 => new ItemOutcome(index, customId, null, new ItemError(PipelineStages.Ingest, JobCoordinator.CancelledCode, "The job was cancelled before this item finished."), at),
                _ => new ItemOutcome(index, customId, new ItemResult(
                    Enumerable.Range(0, 1 + random.Next(40)).Select(_ => random.Next(32_000)).ToArray(),
                    $"A \"caption\" for {index}: ünïcödé, <tags> & emoji 🐈\nsecond line",
                    index % 5 == 0 ? "length" : "stop",
                    100 + random.Next(600),
                    Timings(random, index)), null, at),
            });
        }

        for (var start = 0; start < items.Count; start += 500)
        {
            await _store.AddItemsAsync(job.Id, items.GetRange(start, Math.Min(500, items.Count - start)), CancellationToken.None);
        }

        var order = outcomes.ToArray();
        random.Shuffle(order);
        foreach (var chunk in order.Chunk(200))
        {
            await Task.WhenAll(chunk.Select(o => _store.RecordOutcomeAsync(job.Id, o, o.Error is { Code: "invalid_json" }, CancellationToken.None)));
        }

        await _store.SetValidatedAsync(job.Id, items.Count, Lines, "native", CancellationToken.None);
        return ((await _store.GetAsync(job.Id, CancellationToken.None))!, outcomes);
    }

    private static StageTimings Timings(Random random, int index)
    {
        var timings = StageTimings.None;
        if (index % 13 != 0)
        {
            timings = timings.WithEncode(random.NextDouble() * 250, random.NextDouble() * 40);
        }

        if (index % 17 != 0)
        {
            timings = timings.WithPrefill(random.NextDouble() * 1_000, random.NextDouble() * 90);
        }

        return timings.WithDecode(random.NextDouble() * 3_000, random.NextDouble() * 700);
    }

    /// <summary>What the export must write: every outcome's line, in index order, rendered into one buffer per file.</summary>
    private static (byte[] Results, byte[] Errors) RenderAtOnce(JobRecord job, IEnumerable<ItemOutcome> outcomes)
    {
        var results = new ArrayBufferWriter<byte>();
        var errors = new ArrayBufferWriter<byte>();
        foreach (var outcome in outcomes.OrderBy(o => o.Index))
        {
            if (outcome.Completed)
            {
                OutputLines.WriteResult(results, job.Id, job.Model, outcome);
            }
            else
            {
                OutputLines.WriteError(errors, outcome);
            }
        }

        return (results.WrittenSpan.ToArray(), errors.WrittenSpan.ToArray());
    }

    private Task<byte[]> ReadAsync(JobRecord job, string file) => _blobs.ReadAsync(job.OutputFolder + file, CancellationToken.None);

    private async Task<List<string>> ListAsync(JobRecord job)
    {
        var names = new List<string>();
        await foreach (var uri in _blobs.ListAsync(job.OutputFolder, CancellationToken.None))
        {
            names.Add(uri[(uri.LastIndexOf('/') + 1)..]);
        }

        return names;
    }

    private async Task<SortedDictionary<string, string>> ReadAllAsync(JobRecord job)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in await ListAsync(job))
        {
            files[name] = Sha256(await ReadAsync(job, name));
        }

        return files;
    }

    /// <summary>The local store's temporary files (its listings skip them); Azure's uncommitted blocks are never listed.</summary>
    private string[] TemporaryFiles() => _localRoot is null ? [] : Directory.GetFiles(_localRoot, "*.tmp", SearchOption.AllDirectories);

    private static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));
}
