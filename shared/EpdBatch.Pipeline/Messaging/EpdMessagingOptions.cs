namespace EpdBatch.Pipeline.Messaging;

/// <summary>Bus-wide settings (section <c>Epd:Messaging</c>); each endpoint's concurrency and prefetch belong to its ConsumerDefinition.</summary>
public sealed class EpdMessagingOptions
{
    public const string SectionName = "Epd:Messaging";

    /// <summary>
    /// Waits between redeliveries of a message whose consumer failed transiently (the stores have already retried
    /// for seconds by then, so these cover longer outages). Permanent failures are never retried.
    /// </summary>
    public TimeSpan[] RetryIntervals { get; set; } = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(30)];

    /// <summary>How long the host waits for the broker at start before it fails.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(60);

    public IReadOnlyList<string> GetValidationFailures()
    {
        var failures = new List<string>();
        if (RetryIntervals is null || RetryIntervals.Length > 20 || RetryIntervals.Any(i => i < TimeSpan.Zero))
        {
            failures.Add($"{SectionName}:{nameof(RetryIntervals)} must be at most 20 non-negative intervals.");
        }

        if (StartTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{SectionName}:{nameof(StartTimeout)} must be positive, not {StartTimeout}.");
        }

        return failures;
    }
}
