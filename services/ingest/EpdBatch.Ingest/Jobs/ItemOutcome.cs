using System.Text.Json.Serialization;

namespace EpdBatch.Ingest.Jobs;

/// <summary>
/// An item's terminal state, recorded once per (job, item): a result or an error. Also an invalid manifest line,
/// with <see cref="Index"/> its zero-based line.
/// </summary>
/// <param name="Index">Zero-based manifest line of the item.</param>
/// <param name="CustomId">The caller's id, where known (an invalid line may have none).</param>
/// <param name="Result">Set where the item completed.</param>
/// <param name="Error">Set where it failed.</param>
/// <param name="RecordedAt">When the ingest recorded it (the <c>created</c> of its result).</param>
public sealed record ItemOutcome(int Index, string? CustomId, ItemResult? Result, ItemError? Error, DateTimeOffset RecordedAt)
{
    [JsonIgnore]
    public bool Completed => Result is not null;

    /// <summary>One-based manifest line.</summary>
    [JsonIgnore]
    public int Line => Index + 1;
}
