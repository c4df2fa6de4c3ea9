namespace EpdBatch.Contracts;

/// <summary>
/// Command to the ingest service: a new job of the finished job's failed items only, linked to it both ways.
/// Answered with <see cref="JobAccepted"/> or <see cref="JobRejected"/>.
/// </summary>
/// <param name="JobId">The finished job whose failed items run again.</param>
/// <param name="OutputUri">Output prefix of the new job; null keeps the first job's.</param>
/// <param name="IdempotencyKey">Null makes retrying the same job twice return the same new job.</param>
/// <param name="RequestedAt">When the caller asked.</param>
public sealed record RetryJob(string JobId, string? OutputUri, string? IdempotencyKey, DateTimeOffset RequestedAt);
