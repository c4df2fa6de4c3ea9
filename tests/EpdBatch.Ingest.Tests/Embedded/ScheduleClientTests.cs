using System.Text.Json;
using EpdBatch.Ingest.Jobs;
using EpdBatch.Ingest.Scheduling;
using EpdBatch.Ingest.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

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

    [Test]
    public async Task A_sas_token_is_not_stored_with_a_schedule_and_one_stored_before_is_shown_redacted()
    {
        const string Signature = "Sched0Signature1Never2Shown3";
        _ingest = await IngestHost.StartEmbeddedAsync(new FakeStage(TestRun.Name("stage")));
        var store = _ingest.Services.GetRequiredService<IScheduleStore>();
        const string Blob = "https://devstoreaccount1.blob.core.windows.net/";
        const string Sas = "?sv=2024-05-04&sp=r&se=2099-01-01&sig=" + Signature;
        ScheduleDefinition Schedule(string name) => new()
        {
            Name = name,
            Cron = "0 2 * * *",
            ManifestUri = Blob + "in/m.jsonl" + Sas,
            OutputUri = Blob + "out/nightly" + Sas,
        };

        var added = await _ingest.Schedules.AddAsync(Schedule("nightly"), replace: false, CancellationToken.None);
        var stored = (await store.GetAsync("nightly", CancellationToken.None))!;
        // A schedule written before tokens were dropped on add: what Redis may still hold.
        await store.AddAsync(Schedule("legacy"), replace: false, CancellationToken.None);
        var listed = await _ingest.Schedules.ListAsync(CancellationToken.None);

        Assert.That((stored.ManifestUri, stored.OutputUri), Is.EqualTo((Blob + "in/m.jsonl", Blob + "out/nightly")), "stored without the token");
        Assert.That(JsonSerializer.Serialize(added), Does.Not.Contain(Signature));
        Assert.That(JsonSerializer.Serialize(listed), Does.Not.Contain(Signature), "what epd schedule list --json prints");
        var legacy = listed.Single(s => s.Definition.Name == "legacy").Definition;
        Assert.That((legacy.ManifestUri, legacy.OutputUri), Is.EqualTo((Blob + "in/m.jsonl?sv=2024-05-04&sp=r&se=2099-01-01&sig=***", Blob + "out/nightly?sv=2024-05-04&sp=r&se=2099-01-01&sig=***")));
    }
}
