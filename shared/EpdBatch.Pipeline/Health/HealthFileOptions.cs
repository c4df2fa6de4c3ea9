namespace EpdBatch.Pipeline.Health;

/// <summary>
/// A readiness file for hosts without an HTTP endpoint (section <c>Epd:Health</c>): while every health check
/// passes (the bus connected, among them), the worker touches <see cref="File"/> each <see cref="Interval"/>; when a
/// check fails it deletes it. A container health check tests that the file is fresh. Off where <see cref="File"/> is not set.
/// </summary>
public sealed class HealthFileOptions
{
    public const string SectionName = "Epd:Health";

    public string? File { get; set; }

    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(10);

    public IReadOnlyList<string> GetValidationFailures() =>
        Interval > TimeSpan.Zero ? [] : [$"{SectionName}:{nameof(Interval)} must be positive, not {Interval}."];
}
