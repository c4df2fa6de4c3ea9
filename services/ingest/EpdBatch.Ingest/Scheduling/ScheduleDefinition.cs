using System.Text.RegularExpressions;
using Cronos;

namespace EpdBatch.Ingest.Scheduling;

/// <summary>
/// A recurring job: a cron expression (five fields, Cronos) in a time zone (IANA id, e.g. <c>Europe/Paris</c>;
/// daylight-saving changes follow Cronos: a time skipped by the spring change runs at the change, a time repeated
/// by the autumn change runs once), a manifest, and an output prefix under which each run writes to a folder named
/// after its slot (<c>&lt;out&gt;/20250301T010000Z/&lt;job-id&gt;/</c>).
/// </summary>
public sealed partial record ScheduleDefinition
{
    public const int MaxCatchUp = 100;

    public required string Name { get; init; }

    /// <summary>Five-field cron expression (minute hour day-of-month month day-of-week), or a macro such as <c>@daily</c>.</summary>
    public required string Cron { get; init; }

    /// <summary>IANA time zone id; UTC where not given.</summary>
    public string TimeZone { get; init; } = "UTC";

    public required string ManifestUri { get; init; }

    public required string OutputUri { get; init; }

    public string? Model { get; init; }

    public OverlapPolicy Overlap { get; init; } = OverlapPolicy.Forbid;

    /// <summary>Missed slots (due while no ingest ran) to run late, the most recent ones; 0 skips them all.</summary>
    public int CatchUp { get; init; }

    public bool Strict { get; init; }

    public int? DefaultMaxTokens { get; init; }

    /// <summary>No slot before this fires.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Every problem, one line each; empty where the schedule is usable.</summary>
    public IReadOnlyList<string> GetValidationFailures()
    {
        var failures = new List<string>();
        if (Name is null || !NamePattern().IsMatch(Name))
        {
            failures.Add($"The schedule name must be 1 to 64 lowercase letters, digits, '-' or '_', starting with a letter or digit, not '{Name}'.");
        }

        if (!CronExpression.TryParse(Cron ?? "", CronFormat.Standard, out _))
        {
            failures.Add($"'{Cron}' is not a five-field cron expression (minute hour day-of-month month day-of-week), e.g. \"0 2 * * *\".");
        }

        if (!TryFindTimeZone(TimeZone, out _))
        {
            failures.Add($"'{TimeZone}' is not a known time zone id (IANA, e.g. Europe/Paris or UTC).");
        }

        if (string.IsNullOrWhiteSpace(ManifestUri))
        {
            failures.Add("A schedule needs a manifest.");
        }

        if (string.IsNullOrWhiteSpace(OutputUri))
        {
            failures.Add("A schedule needs an output prefix.");
        }

        if (CatchUp is < 0 or > MaxCatchUp)
        {
            failures.Add($"Catch-up must be between 0 and {MaxCatchUp}, not {CatchUp}.");
        }

        if (DefaultMaxTokens is < 1)
        {
            failures.Add($"The default max_tokens must be positive, not {DefaultMaxTokens}.");
        }

        return failures;
    }

    /// <summary>The slots after <paramref name="from"/> up to and including <paramref name="to"/>.</summary>
    public IEnumerable<DateTimeOffset> Occurrences(DateTimeOffset from, DateTimeOffset to) =>
        ParseCron().GetOccurrences(from, to, Zone(), fromInclusive: false, toInclusive: true);

    /// <summary>The first slot after <paramref name="after"/>.</summary>
    public DateTimeOffset? NextOccurrence(DateTimeOffset after) => ParseCron().GetNextOccurrence(after, Zone());

    /// <summary>Where the run of <paramref name="slot"/> writes: a folder per slot, named by its UTC time (unambiguous across daylight-saving changes).</summary>
    public string OutputFor(DateTimeOffset slot) => $"{OutputUri.TrimEnd('/')}/{slot.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}";

    private CronExpression ParseCron() => CronExpression.Parse(Cron, CronFormat.Standard);

    private TimeZoneInfo Zone() => TryFindTimeZone(TimeZone, out var zone) ? zone : throw new TimeZoneNotFoundException($"Unknown time zone '{TimeZone}'.");

    private static bool TryFindTimeZone(string? id, out TimeZoneInfo zone)
    {
        zone = TimeZoneInfo.Utc;
        if (string.IsNullOrWhiteSpace(id))
        {
            return false;
        }

        return TimeZoneInfo.TryFindSystemTimeZoneById(id, out zone!);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,63}$")]
    private static partial Regex NamePattern();
}
