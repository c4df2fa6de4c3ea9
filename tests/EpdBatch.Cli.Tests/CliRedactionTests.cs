using System.Diagnostics;
using System.Runtime.Versioning;
using EpdBatch.Ingest;
using EpdBatch.Ingest.Jobs;
using EpdBatch.Ingest.Scheduling;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace EpdBatch.Cli.Tests;

/// <summary>
/// What <c>epd schedule list</c> and <c>epd status</c> print, as text, as JSON and as the tables a terminal gets,
/// for a schedule and a job whose records hold SAS tokens (stored before tokens were dropped where URIs enter): no
/// part of a signature reaches the screen. On a terminal a table wraps a long URI over several lines, so the
/// console's own redaction (<c>sig=</c> up to the end of the line) cannot catch what wraps to the next one: the
/// URIs must be redacted before they are rendered. Needs Redis alone; about 15 s (six <c>epd</c> runs).
/// </summary>
[TestFixture]
[NonParallelizable]
[UnsupportedOSPlatform("windows")]
public sealed class CliRedactionTests
{
    private const string Blob = "https://devstoreaccount1.blob.core.windows.net/";
    // 64 characters: longer than a table cell on the 60-column terminal plus 16, so wherever a cell's line breaks,
    // one break falls inside it with at least 8 characters on either side (a real SAS signature is 44 or more).
    private const string Signature = "Cli0Signature1Wraps2Across3Table4Lines5Of6A7Narrow8Terminal9Abcd";
    private const string Sas = "?sv=2024-05-04&sr=b&sp=rw&se=2099-01-01&sig=" + Signature;

    private string _prefix = null!;
    private string _jobId = null!;
    private Dictionary<string, string> _environment = null!;

    [OneTimeSetUp]
    public async Task StoreRecordsWithTokens()
    {
        _prefix = $"epd:test:redact{Guid.NewGuid():N}:";
        _environment = new Dictionary<string, string>
        {
            ["EPD_REDIS"] = Loopback.Redis,
            ["Epd__Ingest__KeyPrefix"] = _prefix,
        };
        await using var redis = await ConnectionMultiplexer.ConnectAsync(Loopback.Redis);
        var options = Options.Create(new IngestOptions { KeyPrefix = _prefix });
        await new RedisScheduleStore(redis, options).AddAsync(new ScheduleDefinition
        {
            Name = "nightly",
            Cron = "0 2 * * *",
            ManifestUri = Blob + "in/manifest.jsonl" + Sas,
            OutputUri = Blob + "out/nightly" + Sas,
            CreatedAt = DateTimeOffset.UtcNow,
        }, replace: false, CancellationToken.None);

        var jobs = new RedisJobStore(redis, options);
        var now = DateTimeOffset.UtcNow;
        _jobId = "job-" + Guid.NewGuid().ToString("N")[..12];
        await jobs.CreateAsync(new JobRecord
        {
            Id = _jobId,
            State = JobState.Validating,
            ManifestUri = Blob + "in/manifest.jsonl" + Sas,
            OutputUri = Blob + "out/run" + Sas,
            IdempotencyKey = "test:" + _jobId,
            CreatedAt = now,
            StateTimes = new Dictionary<JobState, DateTimeOffset> { [JobState.Validating] = now },
        }, CancellationToken.None);
        await jobs.TryTransitionAsync(_jobId, JobState.Validating, JobState.Failed, now, "export_failed", $"Cannot write under {Blob}out/run{Sas} (403)", CancellationToken.None);
    }

    [OneTimeTearDown]
    public async Task DeleteRecords()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(Loopback.Redis);
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        foreach (var key in server.Keys(pattern: _prefix + "*"))
        {
            await redis.GetDatabase().KeyDeleteAsync(key);
        }
    }

    [Test]
    public async Task Schedule_list_shows_no_part_of_a_signature()
    {
        var json = await EpdProcess.RunAsync(["schedule", "list", "--json"], _environment);
        var table = await OnTerminalAsync("schedule list");

        Assert.That((json.ExitCode, table.ExitCode), Is.EqualTo((0, 0)), json.Stderr + table.Output);
        Assert.That(json.Stdout, Does.Contain("in/manifest.jsonl?").And.Contain("sig=***"), "the scan looked where the token was");
        Assert.That(table.Output, Does.Contain("nightly").And.Contain("sig=***"));
        AssertNoPartOfTheSignature(json.Stdout + json.Stderr, "schedule list --json");
        AssertNoPartOfTheSignature(table.Output, "schedule list on a terminal");
    }

    [Test]
    public async Task Status_shows_no_part_of_a_signature()
    {
        var json = await EpdProcess.RunAsync(["status", _jobId, "--json"], _environment);
        var list = await EpdProcess.RunAsync(["status", "--json"], _environment);
        var table = await OnTerminalAsync("status " + _jobId);

        Assert.That((json.ExitCode, list.ExitCode, table.ExitCode), Is.EqualTo((0, 0, 0)), json.Stderr + list.Stderr + table.Output);
        Assert.That(json.Stdout, Does.Contain("out/run?").And.Contain("sig=***"), "the scan looked where the token was");
        Assert.That(table.Output, Does.Contain("export_failed"));
        AssertNoPartOfTheSignature(json.Stdout + json.Stderr, "status --json");
        AssertNoPartOfTheSignature(list.Stdout + list.Stderr, "status --json (the list)");
        AssertNoPartOfTheSignature(table.Output, "status on a terminal");
    }

    /// <summary>Runs <c>epd ARGS</c> under a pseudo-terminal 60 columns wide (util-linux <c>script</c>), as a person at a narrow terminal would.</summary>
    private async Task<(int ExitCode, string Output)> OnTerminalAsync(string args)
    {
        var start = new ProcessStartInfo("script") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-q", "-e", "-c", $"stty cols 60 rows 60; exec dotnet {Path.Combine(AppContext.BaseDirectory, "epd.dll")} {args}", "/dev/null" })
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in _environment)
        {
            start.Environment[key] = value;
        }

        start.Environment["TERM"] = "xterm-256color";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>Every 8-character piece of the signature, so that a fragment wrapped to another line counts too.</summary>
    private static void AssertNoPartOfTheSignature(string output, string what)
    {
        var pieces = Enumerable.Range(0, Signature.Length - 7).Select(i => Signature.Substring(i, 8));
        Assert.That(pieces.Where(p => output.Contains(p, StringComparison.Ordinal)), Is.Empty, $"{what} shows part of the signature:\n{output}");
    }
}
