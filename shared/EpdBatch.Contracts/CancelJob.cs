namespace EpdBatch.Contracts;

/// <summary>
/// Command to the ingest service: stop publishing the job's items, let the ones in flight finish (up to a grace
/// period), export what completed. Answered with <see cref="JobCancellationAccepted"/> or <see cref="JobRejected"/>.
/// </summary>
public sealed record CancelJob(string JobId, DateTimeOffset RequestedAt);
