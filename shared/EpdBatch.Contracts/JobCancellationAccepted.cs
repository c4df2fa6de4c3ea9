namespace EpdBatch.Contracts;

/// <summary>Reply to <see cref="CancelJob"/>: the job is cancelling (or had already finished, as <paramref name="State"/> says).</summary>
public sealed record JobCancellationAccepted(string JobId, string State);
