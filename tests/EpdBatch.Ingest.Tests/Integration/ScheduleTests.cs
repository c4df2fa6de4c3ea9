using EpdBatch.Ingest.Jobs;
using EpdBatch.Ingest.Scheduling;
using EpdBatch.Ingest.Tests.Support;
using EpdBatch.Pipeline;
using EpdBatch.Pipeline.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EpdBatch.Ingest.Tests.Integration;

/// <summary>
/// Schedules against the real Redis, with two ingest "replicas" (each its own services, stores and coordinator)
/// and a clock the test moves.
/// </summary>
public class ScheduleTests
{
    private static readonly TimeZoneInfo s_paris = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");

    private readonly List<ServiceProvider> _replicas = [];
    private string _prefix = null!;
    private string _root = null!;
    private ManualTimeProvider _time = null!;

    [SetUp]
    public void Fresh()
    {
        _prefix = $"epdtest:{TestRun.Name("sched")}:";
        _root = TestRun.TempFolder();
        _time = new ManualTimeProvider(new DateTimeOffset(2025, 1, 10, 0, 0, 0, TimeSpan.Zero));
    }

    [TearDown]
    public async Task Clean()
    {
        foreach (var replica in _replicas)
        {
            await replica.DisposeAsync();
        }

        await RedisKeys.DeleteAsync(_prefix);
        Directory.Delete(_root, recursive: true);
    }

    [Test]
    public async Task A_slot_fires_once_with_two_ingest_instances()
    {
        var (a, b) = (Replica(), Replica());
        await AddAsync(a, Schedule("nightly", overlap: OverlapPolicy.Allow));

        var firings = new List<ScheduleFiring>();
        foreach (var at in new[] { "2025-01-10T01:00:10Z", "2025-01-10T01:00:25Z", "2025-01-10T01:00:40Z", "2025-01-11T01:00:03Z", "2025-01-11T01:00:18Z" })
        {
            _time.Set(DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture));
            var both = await Task.WhenAll(Runner(a).TickAsync(CancellationToken.None), Runner(b).TickAsync(CancellationToken.None));
            firings.AddRange(both.SelectMany(f => f));
        }

        Assert.That(firings.Select(f => f.Slot), Is.EqualTo(new[] { Utc("2025-01-10T01:00:00Z"), Utc("2025-01-11T01:00:00Z") }), "02:00 in Paris, once each");
        Assert.That(firings.Select(f => f.JobId), Is.All.Not.Null);
        Assert.That(firings.Select(f => f.JobId), Is.Unique);
        var jobs = await Store(a).ListAsync(100, CancellationToken.None);
        Assert.That(jobs, Has.Count.EqualTo(2));
        var first = jobs.Single(j => j.ScheduledFor == Utc("2025-01-10T01:00:00Z"));
        Assert.That((first.Schedule, first.OutputUri, first.ManifestUri), Is.EqualTo(("nightly", "az://results/nightly/20250110T010000Z", "az://in/manifest.jsonl")));
        Assert.That(first.OutputFolder, Is.EqualTo($"az://results/nightly/20250110T010000Z/{first.Id}/"), "an output prefix per scheduled time");
    }

    [Test]
    public async Task Forbid_skips_a_slot_while_the_previous_run_is_active()
    {
        var a = Replica();
        await AddAsync(a, Schedule("nightly", overlap: OverlapPolicy.Forbid));

        var day1 = await TickAtAsync(a, "2025-01-10T01:00:30Z");
        var day2 = await TickAtAsync(a, "2025-01-11T01:00:30Z");
        await FinishAsync(a, day1.Single().JobId!);
        var day3 = await TickAtAsync(a, "2025-01-12T01:00:30Z");

        Assert.That(day1.Single().JobId, Is.Not.Null);
        Assert.That(day2.Single().JobId, Is.Null);
        Assert.That(day2.Single().SkipReason, Does.Contain(day1.Single().JobId).And.Contain("forbid"));
        Assert.That(day3.Single().JobId, Is.Not.Null, "the previous run finished: the next slot runs");
        var state = await a.GetRequiredService<IScheduleStore>().GetStateAsync("nightly", CancellationToken.None);
        Assert.That((state.LastSlot, state.LastJobId, state.LastSkippedSlot), Is.EqualTo((Utc("2025-01-12T01:00:00Z"), day3.Single().JobId, Utc("2025-01-11T01:00:00Z"))));
    }

    [Test]
    public async Task Replace_cancels_the_active_run_and_starts_the_new_one()
    {
        var a = Replica();
        await AddAsync(a, Schedule("nightly", overlap: OverlapPolicy.Replace));

        var day1 = await TickAtAsync(a, "2025-01-10T01:00:30Z");
        var day2 = await TickAtAsync(a, "2025-01-11T01:00:30Z");

        Assert.That(day2.Single().JobId, Is.Not.Null.And.Not.EqualTo(day1.Single().JobId));
        Assert.That((await Store(a).GetAsync(day1.Single().JobId!, CancellationToken.None))!.State, Is.EqualTo(JobState.Cancelling));
    }

    [TestCase(0, new string[0])]
    [TestCase(2, new[] { "2025-01-14T01:00:00Z", "2025-01-15T01:00:00Z" })]
    [TestCase(10, new[] { "2025-01-10T01:00:00Z", "2025-01-11T01:00:00Z", "2025-01-12T01:00:00Z", "2025-01-13T01:00:00Z", "2025-01-14T01:00:00Z", "2025-01-15T01:00:00Z" })]
    public async Task Catch_up_runs_at_most_N_missed_slots_the_most_recent(int catchUp, string[] expected)
    {
        var a = Replica();
        await AddAsync(a, Schedule("nightly", overlap: OverlapPolicy.Allow, catchUp: catchUp));

        // No ingest ran from the 10th to noon on the 15th: six slots came and went.
        var late = await TickAtAsync(a, "2025-01-15T12:00:00Z");
        var nextOnTime = await TickAtAsync(a, "2025-01-16T01:01:00Z");

        Assert.That(late.Select(f => f.Slot), Is.EqualTo(expected.Select(Utc)));
        Assert.That(late.Select(f => f.JobId), Is.All.Not.Null);
        Assert.That(nextOnTime.Select(f => f.Slot), Is.EqualTo(new[] { Utc("2025-01-16T01:00:00Z") }), "on time again: runs whatever the catch-up");
    }

    [Test]
    public async Task Daylight_saving_changes_in_Paris_follow_cronos()
    {
        var a = Replica();
        _time.Set(Utc("2025-03-28T00:00:00Z"));
        await AddAsync(a, Schedule("dst", cron: "30 2 * * *", overlap: OverlapPolicy.Allow));

        var spring = await TickEveryAsync(a, Utc("2025-03-28T00:00:00Z"), Utc("2025-04-01T00:00:00Z"), TimeSpan.FromMinutes(10));
        _time.Set(Utc("2025-10-24T00:00:00Z"));
        await AddAsync(a, Schedule("dst", cron: "30 2 * * *", overlap: OverlapPolicy.Allow), replace: true);
        var autumn = await TickEveryAsync(a, Utc("2025-10-24T00:00:00Z"), Utc("2025-10-28T00:00:00Z"), TimeSpan.FromMinutes(10));

        // 02:30 does not exist on 30 March (02:00 → 03:00): Cronos runs it at the change, 03:00 CEST. It exists
        // twice on 26 October (03:00 → 02:00): Cronos runs it once, at the first.
        Assert.That(spring.Select(f => f.Slot), Is.EqualTo(new[]
        {
            Utc("2025-03-28T01:30:00Z"), Utc("2025-03-29T01:30:00Z"), Utc("2025-03-30T01:00:00Z"), Utc("2025-03-31T00:30:00Z"),
        }));
        Assert.That(autumn.Select(f => f.Slot), Is.EqualTo(new[]
        {
            Utc("2025-10-24T00:30:00Z"), Utc("2025-10-25T00:30:00Z"), Utc("2025-10-26T00:30:00Z"), Utc("2025-10-27T01:30:00Z"),
        }));
        Assert.That(spring.Concat(autumn).Select(f => TimeZoneInfo.ConvertTime(f.Slot, s_paris).Date).Distinct().Count(), Is.EqualTo(8), "one run per local day");
        Assert.That(spring.Concat(autumn).Select(f => f.JobId), Is.All.Not.Null);
    }

    [Test]
    public void Invalid_schedules_are_refused_with_every_reason()
    {
        var schedule = Schedule("Bad Name", cron: "61 * * *", timeZone: "Mars/Olympus") with { CatchUp = -1 };

        var failures = schedule.GetValidationFailures();

        Assert.That(failures, Has.Count.EqualTo(4));
        Assert.That(Schedule("ok").GetValidationFailures(), Is.Empty);
    }

    private ServiceProvider Replica()
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(new TestLoggerProvider("sched")));
        services.AddSingleton<TimeProvider>(_time);
        var connections = new EpdConnectionOptions { Redis = TestServers.Redis };
        services.AddEpdStorage(connections, o => o.LocalRoot = _root);
        services.AddIngestStage(new ConfigurationBuilder().Build(), connections);
        services.PostConfigure<IngestOptions>(o => o.KeyPrefix = _prefix);
        var provider = services.BuildServiceProvider();
        _replicas.Add(provider);
        return provider;
    }

    private static ScheduleRunner Runner(IServiceProvider replica) => replica.GetRequiredService<ScheduleRunner>();

    private static IJobStore Store(IServiceProvider replica) => replica.GetRequiredService<IJobStore>();

    private ScheduleDefinition Schedule(string name, string cron = "0 2 * * *", string timeZone = "Europe/Paris", OverlapPolicy overlap = OverlapPolicy.Forbid, int catchUp = 0) => new()
    {
        Name = name,
        Cron = cron,
        TimeZone = timeZone,
        ManifestUri = "az://in/manifest.jsonl",
        OutputUri = "az://results/" + name,
        Overlap = overlap,
        CatchUp = catchUp,
        CreatedAt = _time.GetUtcNow(),
    };

    private static async Task AddAsync(IServiceProvider replica, ScheduleDefinition schedule, bool replace = false) =>
        Assert.That(await replica.GetRequiredService<IScheduleStore>().AddAsync(schedule, replace, CancellationToken.None), Is.True);

    private async Task<IReadOnlyList<ScheduleFiring>> TickAtAsync(IServiceProvider replica, string at)
    {
        _time.Set(Utc(at));
        return await Runner(replica).TickAsync(CancellationToken.None);
    }

    private async Task<List<ScheduleFiring>> TickEveryAsync(IServiceProvider replica, DateTimeOffset from, DateTimeOffset to, TimeSpan step)
    {
        var firings = new List<ScheduleFiring>();
        for (var t = from; t <= to; t += step)
        {
            _time.Set(t);
            firings.AddRange(await Runner(replica).TickAsync(CancellationToken.None));
        }

        return firings;
    }

    private async Task FinishAsync(IServiceProvider replica, string jobId)
    {
        var store = Store(replica);
        var now = _time.GetUtcNow();
        Assert.That(await store.TryTransitionAsync(jobId, JobState.Validating, JobState.InProgress, now, null, null, CancellationToken.None), Is.True);
        Assert.That(await store.TryTransitionAsync(jobId, JobState.InProgress, JobState.Finalizing, now, null, null, CancellationToken.None), Is.True);
        Assert.That(await store.TryTransitionAsync(jobId, JobState.Finalizing, JobState.Completed, now, null, null, CancellationToken.None), Is.True);
    }

    private static DateTimeOffset Utc(string value) => DateTimeOffset.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
}
