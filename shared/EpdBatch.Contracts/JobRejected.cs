namespace EpdBatch.Contracts;

/// <summary>Reply: the command was refused; nothing was recorded or changed.</summary>
/// <param name="JobId">The job the command named, if any.</param>
/// <param name="Code">A short machine-readable reason, e.g. <c>manifest_not_found</c>, <c>job_not_found</c>.</param>
/// <param name="Message">One line for people.</param>
public sealed record JobRejected(string? JobId, string Code, string Message);
