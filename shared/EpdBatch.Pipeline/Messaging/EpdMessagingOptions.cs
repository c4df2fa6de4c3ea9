namespace EpdBatch.Pipeline.Messaging;

/// <summary>Bus-wide settings (section <c>Epd:Messaging</c>); each endpoint's concurrency and prefetch belong to its ConsumerDefinition.</summary>
public sealed class EpdMessagingOptions
{
    public const string SectionName = "Epd:Messaging";

    private static readonly TimeSpan[] s_defaultRetryIntervals = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(30)];

    /// <summary>
    /// Waits between redeliveries of a message whose consumer failed transiently (the stores have already retried
    /// for seconds by then, so these cover longer outages). Permanent failures are never retried. Unset, 1 s, 5 s,
    /// 15 s and 30 s (<see cref="EffectiveRetryIntervals"/>); a list set in configuration replaces that default
    /// (it starts out null because the configuration binder appends to an array that already has elements).
    /// </summary>
    public TimeSpan[]? RetryIntervals { get; set; }

    /// <summary>The configured <see cref="RetryIntervals"/>, or the default where none are.</summary>
    public IReadOnlyList<TimeSpan> EffectiveRetryIntervals => RetryIntervals ?? s_defaultRetryIntervals;

    /// <summary>How long the host waits for the broker at start before it fails.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(60);

    public IReadOnlyList<string> GetValidationFailures()
    {
        var failures = new List<string>();
        if (RetryIntervals is { } intervals && (intervals.Length > 20 || intervals.Any(i => i < TimeSpan.Zero)))
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
