namespace EpdBatch.Contracts;

/// <summary>Command to the ingest service: run a batch job over a JSONL manifest. Answered with <see cref="JobAccepted"/> or <see cref="JobRejected"/>.</summary>
/// <param name="ManifestUri">The manifest: a blob URI (<c>az://</c>, <c>https://…</c>) or, in the embedded mode, a local path.</param>
/// <param name="OutputUri">Prefix under which the job writes <c>&lt;job-id&gt;/results.jsonl</c>, <c>errors.jsonl</c> and <c>summary.json</c>.</param>
/// <param name="IdempotencyKey">Submitting the same key again returns the existing job; null derives one from the manifest's content, the model and the options.</param>
/// <param name="Strict">Fail the whole job when any manifest line is invalid, instead of running the valid ones.</param>
/// <param name="DefaultMaxTokens">Token limit of items that give none; null takes the ingest service's default.</param>
/// <param name="Model">The model's name, for the results and the summary.</param>
/// <param name="Schedule">The schedule that fired the job, if any.</param>
/// <param name="ScheduledFor">The schedule's slot (UTC) that the job runs for, if any.</param>
/// <param name="RequestedAt">When the caller asked.</param>
public sealed record SubmitJob(
    string ManifestUri,
    string OutputUri,
    string? IdempotencyKey,
    bool Strict,
    int? DefaultMaxTokens,
    string? Model,
    string? Schedule,
    DateTimeOffset? ScheduledFor,
    DateTimeOffset RequestedAt);
