using EpdBatch.Ingest.Jobs;
using EpdBatch.Ingest.Scheduling;
using EpdBatch.Ingest.Tests.Support;

namespace EpdBatch.Ingest.Tests.Embedded;

/// <summary>The schedule API that <c>epd schedule</c> uses: add (validated, no silent overwrite), list, run-now, remove.</summary>
public class ScheduleClientTests
{
    private IngestHost _ingest = null!;

    [TearDown]
    public async Task Stop() => await _ingest.DisposeAsync();

    [Test]
    public async Task Schedules_are_added_listed_run_now_and_removed()
    {
        var stage = new FakeStage(TestRun.Name("stage"));
        _ingest = await IngestHost.StartEmbeddedAsync(stage);
        var manifest = _ingest.WriteManifest("m.jsonl", [Lines.Native("a")]);
        var schedule = new ScheduleDefinition
        {
            Name = "nightly",
            Cron = "0 2 * * *",
            TimeZone = "Europe/Paris",
            ManifestUri = manifest,
            OutputUri = "az://results/nightly",
            Overlap = OverlapPolicy.Replace,
            CatchUp = 1,
        };

        var added = await _ingest.Schedules.AddAsync(schedule, replace: false, CancellationToken.None);
        var duplicate = Assert.ThrowsAsync<ArgumentException>(() => _ingest.Schedules.AddAsync(schedule, replace: false, CancellationToken.None));
        var invalid = Assert.ThrowsAsync<ArgumentException>(() => _ingest.Schedules.AddAsync(schedule with { Name = "other", Cron = "every night" }, replace: false, CancellationToken.None));
        var run = await _ingest.Schedules.RunNowAsync("nightly", CancellationToken.None);
        var finished = await _ingest.WaitAsync(run.JobId);
        var listed = await _ingest.Schedules.ListAsync(CancellationToken.None);
        var removed = await _ingest.Schedules.RemoveAsync("nightly", CancellationToken.None);

        Assert.That(added.NextRun, Is.GreaterThan(added.Definition.CreatedAt));
        Assert.That(TimeZoneInfo.ConvertTime(added.NextRun!.Value, TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris")).TimeOfDay, Is.EqualTo(TimeSpan.FromHours(2)));
        Assert.That(duplicate!.Message, Does.Contain("exists"));
        Assert.That(invalid!.Message, Does.Contain("every night"));
        Assert.That((finished.State, finished.Schedule), Is.EqualTo((JobState.Completed, "nightly")));
        Assert.That(finished.OutputUri, Does.StartWith("az://results/nightly/").And.EndWith($"Z/{run.JobId}/"));
        Assert.That(listed.Single().State.LastJobId, Is.EqualTo(run.JobId));
        Assert.That(removed, Is.True);
        Assert.That(await _ingest.Schedules.ListAsync(CancellationToken.None), Is.Empty);
    }
}
