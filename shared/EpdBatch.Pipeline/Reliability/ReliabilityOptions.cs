namespace EpdBatch.Pipeline.Reliability;

/// <summary>
/// Bounds on how often one item may be handed to a stage again (section <c>Epd:Reliability</c>), so that no item
/// loops forever: a crash-looping item and one whose intermediate state keeps vanishing both end in errors.jsonl.
/// </summary>
public sealed class ReliabilityOptions
{
    public const string SectionName = "Epd:Reliability";

    /// <summary>
    /// The most deliveries of one item to one stage that may start without finishing (each one ended by its worker
    /// dying, or stopping, mid-item); the next delivery fails the item with <c>crash_loop</c> instead of running it.
    /// In-process retries of a transient failure are one delivery.
    /// </summary>
    public int MaxDeliveries { get; set; } = 5;

    /// <summary>
    /// How many times an item whose multimodal tokens or KV snapshot went missing (a Redis restart, eviction, TTL)
    /// is sent back to the encoder; once more fails it with <c>intermediate_lost</c>. 0 fails it at once.
    /// </summary>
    public int MaxRecoveries { get; set; } = 3;

    /// <summary>How long a delivery count outlives its last delivery (long enough to span the worker restarts of a crash loop).</summary>
    public TimeSpan DeliveryCountTtl { get; set; } = TimeSpan.FromDays(1);

    public IReadOnlyList<string> GetValidationFailures()
    {
        var failures = new List<string>();
        if (MaxDeliveries is < 1 or > 1000)
        {
            failures.Add($"{SectionName}:{nameof(MaxDeliveries)} must be between 1 and 1000, not {MaxDeliveries}.");
        }

        if (MaxRecoveries is < 0 or > 100)
        {
            failures.Add($"{SectionName}:{nameof(MaxRecoveries)} must be between 0 and 100, not {MaxRecoveries}.");
        }

        if (DeliveryCountTtl < TimeSpan.FromMinutes(1))
        {
            failures.Add($"{SectionName}:{nameof(DeliveryCountTtl)} must be at least a minute, not {DeliveryCountTtl}.");
        }

        return failures;
    }
}
