namespace EpdBatch.Contracts;

/// <summary>Reply: the job is recorded and will run (or, with <paramref name="Existing"/>, it was recorded before under the same idempotency key).</summary>
/// <param name="JobId">The job's id.</param>
/// <param name="State">Its state when the reply was sent, e.g. <c>validating</c>.</param>
/// <param name="Existing">True where the idempotency key named a job that already existed.</param>
public sealed record JobAccepted(string JobId, string State, bool Existing);
