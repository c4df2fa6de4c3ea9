namespace EpdBatch.Ingest.Jobs;

/// <summary>The job that a create call left in the store, and whether the call made it (false: the idempotency key named it already).</summary>
public sealed record JobCreation(JobRecord Job, bool Created);
