namespace EpdBatch.Contracts;

/// <summary>Event: an item failed for good (bad media, prompt too long, retries exhausted); the rest of the job goes on.</summary>
/// <param name="JobId">The job the item belongs to.</param>
/// <param name="ItemIndex">Zero-based line of the item in the job's manifest.</param>
/// <param name="CustomId">The caller's id for the item.</param>
/// <param name="Stage">The stage that gave up: <c>ingest</c>, <c>encoder</c>, <c>prefill</c> or <c>decoder</c>.</param>
/// <param name="Code">A short machine-readable reason, e.g. <c>blob_not_found</c>.</param>
/// <param name="Message">One line for people.</param>
public sealed record ItemFailed(
    string JobId,
    int ItemIndex,
    string CustomId,
    string Stage,
    string Code,
    string Message);
