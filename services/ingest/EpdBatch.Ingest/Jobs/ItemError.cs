namespace EpdBatch.Ingest.Jobs;

/// <summary>Why an item failed: the stage (<c>ingest</c> for an invalid line or a cancelled item), a code and a message.</summary>
public sealed record ItemError(string Stage, string Code, string Message);
