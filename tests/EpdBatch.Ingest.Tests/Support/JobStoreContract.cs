using EpdBatch.Contracts;
using EpdBatch.Ingest.Jobs;
using EpdBatch.Ingest.Manifest;

namespace EpdBatch.Ingest.Tests.Support;

/// <summary>What every <see cref="IJobStore"/> must do, in-memory or Redis alike.</summary>
public abstract class JobStoreContract
{
    private static readonly DateTimeOffset s_t0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    protected IJobStore Store { get; private set; } = null!;

    protected abstract IJobStore CreateStore();

    [SetUp]
    public void CreateStoreForTest() => Store = CreateStore();

    protected static JobRecord NewJob(string? key = null, DateTimeOffset? at = null) => new()
    {
        Id = TestRun.Name("job"),
        State = JobState.Validating,
        ManifestUri = "az://in/manifest.jsonl",
        OutputUri = "az://out/runs",
        Model = "llava-test",
        DefaultMaxTokens = 32,
        IdempotencyKey = key ?? TestRun.Name("key"),
        CreatedAt = at ?? s_t0,
        StateTimes = new Dictionary<JobState, DateTimeOffset> { [JobState.Validating] = at ?? s_t0 },
    };

    protected static ManifestItem Item(int index) =>
        new(index + 1, $"c{index}", "Describe.", [new MediaReference(MediaKind.Image, $"az://m/{index}.jpg")], new SamplingSettings(16));

    protected static ItemOutcome Completed(int index, int tokens = 3) =>
        new(index, $"c{index}", new Jobs.ItemResult(Enumerable.Range(0, tokens).ToArray(), "text", "stop", 10, StageTimings.None.WithEncode(1, 2)), null, s_t0);

    protected static ItemOutcome Failed(int index, string code = "boom") =>
        new(index, $"c{index}", null, new ItemError("encoder", code, "it broke"), s_t0);

    [Test]
    public async Task A_created_job_reads_back_whole()
    {
        var job = NewJob() with { Strict = true, Schedule = "nightly", ScheduledFor = s_t0.AddHours(-1) };

        var creation = await Store.CreateAsync(job, CancellationToken.None);
        var read = await Store.GetAsync(job.Id, CancellationToken.None);

        Assert.That(creation.Created, Is.True);
        Assert.That(read, Is.Not.Null);
        Assert.That(read! with { StateTimes = job.StateTimes }, Is.EqualTo(job));
        Assert.That(read.StateTimes, Is.EquivalentTo(job.StateTimes));
        Assert.That(await Store.ListActiveAsync(CancellationToken.None), Does.Contain(job.Id));
        Assert.That(await Store.GetAsync("job-that-never-was", CancellationToken.None), Is.Null);
    }

    [Test]
    public async Task The_same_idempotency_key_makes_one_job_even_when_submitted_at_once()
    {
        var key = TestRun.Name("key");
        var attempts = Enumerable.Range(0, 12).Select(_ => Store.CreateAsync(NewJob(key), CancellationToken.None));

        var creations = await Task.WhenAll(attempts);

        Assert.That(creations.Count(c => c.Created), Is.EqualTo(1));
        Assert.That(creations.Select(c => c.Job.Id).Distinct(), Has.Exactly(1).Items);
    }

    [Test]
    public async Task Transitions_are_compare_and_set_and_stamp_their_time()
    {
        var job = NewJob();
        await Store.CreateAsync(job, CancellationToken.None);

        Assert.That(await Store.TryTransitionAsync(job.Id, JobState.InProgress, JobState.Finalizing, s_t0, null, null, CancellationToken.None), Is.False, "not in that state");
        Assert.That(await Store.TryTransitionAsync(job.Id, JobState.Validating, JobState.InProgress, s_t0.AddSeconds(1), null, null, CancellationToken.None), Is.True);
        Assert.That(await Store.TryTransitionAsync(job.Id, JobState.Validating, JobState.InProgress, s_t0.AddSeconds(2), null, null, CancellationToken.None), Is.False, "only once");
        Assert.That(() => Store.TryTransitionAsync(job.Id, JobState.InProgress, JobState.Completed, s_t0, null, null, CancellationToken.None), Throws.InvalidOperationException);
        Assert.That(await Store.TryTransitionAsync(job.Id, JobState.InProgress, JobState.Cancelling, s_t0.AddSeconds(3), null, null, CancellationToken.None), Is.True);
        Assert.That(await Store.TryTransitionAsync(job.Id, JobState.Cancelling, JobState.Failed, s_t0.AddSeconds(4), "export_failed", "no room", CancellationToken.None), Is.True);

        var read = (await Store.GetAsync(job.Id, CancellationToken.None))!;
        Assert.That(read.State, Is.EqualTo(JobState.Failed));
        Assert.That((read.ErrorCode, read.ErrorMessage), Is.EqualTo(("export_failed", "no room")));
        Assert.That(read.StateTimes, Is.EquivalentTo(new Dictionary<JobState, DateTimeOffset>
        {
            [JobState.Validating] = s_t0,
            [JobState.InProgress] = s_t0.AddSeconds(1),
            [JobState.Cancelling] = s_t0.AddSeconds(3),
            [JobState.Failed] = s_t0.AddSeconds(4),
        }));
    }

    [Test]
    public async Task Items_keep_manifest_order_and_a_reset_drops_them()
    {
        var job = NewJob();
        await Store.CreateAsync(job, CancellationToken.None);
        await Store.AddItemsAsync(job.Id, [Item(0), Item(2), Item(3)], CancellationToken.None);
        await Store.AddItemsAsync(job.Id, [Item(7)], CancellationToken.None);

        Assert.That((await Store.GetItemsAsync(job.Id, 1, 2, CancellationToken.None)).Select(i => i.Index), Is.EqualTo(new[] { 2, 3 }));
        Assert.That(await Store.GetItemsAsync(job.Id, 0, 10, CancellationToken.None), Is.EqualTo(new[] { Item(0), Item(2), Item(3), Item(7) }).Using<ManifestItem>(SameItem));
        Assert.That((await Store.GetAsync(job.Id, CancellationToken.None))!.Items, Is.EqualTo(4));

        await Store.ResetItemsAsync(job.Id, CancellationToken.None);
        Assert.That(await Store.GetItemsAsync(job.Id, 0, 10, CancellationToken.None), Is.Empty);
        await Store.SetValidatedAsync(job.Id, 0, 3, "native", CancellationToken.None);
        var read = (await Store.GetAsync(job.Id, CancellationToken.None))!;
        Assert.That((read.Validated, read.Items, read.Total, read.Format), Is.EqualTo((true, 0, 3, "native")));
    }

    [Test]
    public async Task A_terminal_state_is_recorded_once_whatever_the_duplicates()
    {
        var job = NewJob();
        await Store.CreateAsync(job, CancellationToken.None);
        await Store.AddItemsAsync(job.Id, [Item(0), Item(1)], CancellationToken.None);

        // Redeliveries and a late failure, all at once: the first to land wins, the rest count for nothing.
        var attempts = Enumerable.Range(0, 40).Select(i => Store.RecordOutcomeAsync(job.Id, i % 3 == 0 ? Failed(0) : Completed(0, tokens: 5), false, CancellationToken.None));
        var results = await Task.WhenAll(attempts);

        Assert.That(results.Count(r => r == OutcomeRecording.Recorded), Is.EqualTo(1));
        Assert.That(results.Count(r => r == OutcomeRecording.Duplicate), Is.EqualTo(39));
        var read = (await Store.GetAsync(job.Id, CancellationToken.None))!;
        Assert.That(read.Completed + read.Failed, Is.EqualTo(1));
        Assert.That(await Store.CountOutcomesAsync(job.Id, CancellationToken.None), Is.EqualTo(1));
        Assert.That(await ReadOutcomesAsync(job.Id), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Outcomes_count_tokens_and_invalid_lines_and_unknown_ones_are_refused()
    {
        var job = NewJob();
        await Store.CreateAsync(job, CancellationToken.None);
        await Store.AddItemsAsync(job.Id, [Item(1), Item(2)], CancellationToken.None);

        Assert.That(await Store.RecordOutcomeAsync(job.Id, Completed(1, tokens: 4), false, CancellationToken.None), Is.EqualTo(OutcomeRecording.Recorded));
        Assert.That(await Store.RecordOutcomeAsync(job.Id, Failed(2), false, CancellationToken.None), Is.EqualTo(OutcomeRecording.Recorded));
        Assert.That(await Store.RecordOutcomeAsync(job.Id, Failed(0, "invalid_json") with { CustomId = null }, true, CancellationToken.None), Is.EqualTo(OutcomeRecording.Recorded));
        Assert.That(await Store.RecordOutcomeAsync(job.Id, Completed(9), false, CancellationToken.None), Is.EqualTo(OutcomeRecording.UnknownItem));
        Assert.That(await Store.RecordOutcomeAsync("job-that-never-was", Completed(1), false, CancellationToken.None), Is.EqualTo(OutcomeRecording.UnknownJob));

        var read = (await Store.GetAsync(job.Id, CancellationToken.None))!;
        Assert.That((read.Completed, read.Failed, read.Invalid, read.PromptTokens, read.CompletionTokens), Is.EqualTo((1, 2, 1, 10L, 4L)));
        Assert.That((await ReadOutcomesAsync(job.Id)).Select(o => o.Index), Is.EqualTo(new[] { 0, 1, 2 }), "by index");
        Assert.That((await Store.ReadOutcomeLogAsync(job.Id, 1, 5, CancellationToken.None)).Select(o => o.Index), Is.EqualTo(new[] { 2, 0 }), "in recording order");
        var result = (await ReadOutcomesAsync(job.Id))[1].Result!;
        Assert.That(result.Tokens, Is.EqualTo(new[] { 0, 1, 2, 3 }));
        Assert.That(result.Timings, Is.EqualTo(StageTimings.None.WithEncode(1, 2)));
    }

    [Test]
    public async Task Outcome_pages_come_in_index_order_one_range_of_indices_each()
    {
        var job = NewJob();
        await Store.CreateAsync(job, CancellationToken.None);
        // Recorded out of order, with gaps (a retry job keeps the indices of the job it retries), far apart too.
        int[] indices = [25, 9, 0, 11, 4_000, 2, 10, 5, 1];
        foreach (var index in indices)
        {
            await Store.RecordOutcomeAsync(job.Id, index % 2 == 0 ? Failed(index) : Completed(index, tokens: index % 7), true, CancellationToken.None);
        }

        var pages = await Store.ReadOutcomePagesAsync(job.Id, 5, CancellationToken.None).ToListAsync();

        Assert.That(pages.Select(p => p.Select(o => o.Index)), Is.EqualTo(new[] { new[] { 0, 1, 2 }, [5, 9], [10, 11], [25], [4_000] }));
        Assert.That(pages.SelectMany(p => p).Select(o => (o.Index, o.Result?.Tokens.Count, o.Error)),
            Is.EqualTo(indices.Order().Select(i => (i, i % 2 == 0 ? (int?)null : i % 7, i % 2 == 0 ? Failed(i).Error : null))));
        Assert.That(pages.SelectMany(p => p).Single(o => o.Index == 9).Result!.Timings, Is.EqualTo(StageTimings.None.WithEncode(1, 2)));
        Assert.That(await Store.ReadOutcomePagesAsync(job.Id, 10_000, CancellationToken.None).ToListAsync(), Has.Count.EqualTo(1));
        Assert.That(await Store.ReadOutcomePagesAsync(NewJob().Id, 5, CancellationToken.None).ToListAsync(), Is.Empty, "no job, no page");
    }

    [Test]
    public async Task A_flush_commits_only_from_the_position_it_started_at()
    {
        var job = NewJob();
        await Store.CreateAsync(job, CancellationToken.None);

        Assert.That(await Store.CommitFlushAsync(job.Id, 0, 5, CancellationToken.None), Is.True);
        Assert.That(await Store.CommitFlushAsync(job.Id, 0, 7, CancellationToken.None), Is.False, "someone flushed since");
        Assert.That(await Store.CommitFlushAsync(job.Id, 5, 7, CancellationToken.None), Is.True);
        var read = (await Store.GetAsync(job.Id, CancellationToken.None))!;
        Assert.That((read.Flushed, read.Parts), Is.EqualTo((7L, 2)));
    }

    [Test]
    public async Task A_lease_is_one_owners_until_released_or_expired()
    {
        var job = NewJob();
        await Store.CreateAsync(job, CancellationToken.None);

        Assert.That(await Store.TryAcquireLeaseAsync(job.Id, "a", TimeSpan.FromSeconds(30), CancellationToken.None), Is.True);
        Assert.That(await Store.TryAcquireLeaseAsync(job.Id, "b", TimeSpan.FromSeconds(30), CancellationToken.None), Is.False);
        Assert.That(await Store.TryAcquireLeaseAsync(job.Id, "a", TimeSpan.FromMilliseconds(300), CancellationToken.None), Is.True, "renewal");
        await Store.ReleaseLeaseAsync(job.Id, "b", CancellationToken.None);
        Assert.That(await Store.TryAcquireLeaseAsync(job.Id, "b", TimeSpan.FromSeconds(30), CancellationToken.None), Is.False, "only the owner releases");

        await Task.Delay(450);
        Assert.That(await Store.TryAcquireLeaseAsync(job.Id, "b", TimeSpan.FromSeconds(30), CancellationToken.None), Is.True, "a dead owner's lease expires");
        await Store.ReleaseLeaseAsync(job.Id, "b", CancellationToken.None);
        Assert.That(await Store.TryAcquireLeaseAsync(job.Id, "a", TimeSpan.FromSeconds(30), CancellationToken.None), Is.True);
    }

    [Test]
    public async Task Retired_jobs_leave_the_active_set_and_lists_are_newest_first()
    {
        var older = NewJob(at: s_t0);
        var newer = NewJob(at: s_t0.AddMinutes(1));
        await Store.CreateAsync(older, CancellationToken.None);
        await Store.CreateAsync(newer, CancellationToken.None);

        await Store.RetireAsync(older.Id, TimeSpan.FromDays(1), CancellationToken.None);

        var active = await Store.ListActiveAsync(CancellationToken.None);
        Assert.That(active, Does.Contain(newer.Id).And.Not.Contain(older.Id));
        var listed = (await Store.ListAsync(1000, CancellationToken.None)).Select(j => j.Id).Where(id => id == older.Id || id == newer.Id);
        Assert.That(listed, Is.EqualTo(new[] { newer.Id, older.Id }));
        Assert.That(await Store.GetAsync(older.Id, CancellationToken.None), Is.Not.Null, "kept for its retention");
    }

    /// <summary>Every outcome of the job, by index, the pages read back to back.</summary>
    private async Task<List<ItemOutcome>> ReadOutcomesAsync(string jobId) =>
        (await Store.ReadOutcomePagesAsync(jobId, 2, CancellationToken.None).ToListAsync()).SelectMany(static p => p).ToList();

    private static bool SameItem(ManifestItem a, ManifestItem b) =>
        a.Line == b.Line && a.CustomId == b.CustomId && a.Prompt == b.Prompt && a.Media.SequenceEqual(b.Media) && a.Sampling == b.Sampling;
}
