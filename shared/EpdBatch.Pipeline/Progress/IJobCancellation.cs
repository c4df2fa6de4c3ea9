namespace EpdBatch.Pipeline.Progress;

/// <summary>
/// Which jobs were cancelled, as every stage sees it: the ingest marks a job when it is cancelled, and each stage
/// asks before it works on an item, so that the items a cancelled job had already sent down the queues are
/// acknowledged and reported as <see cref="CancelledCode"/> instead of being run. The answer may be a moment old
/// (each process caches it briefly); items in an encoder or prefill batch that is already running finish, and a
/// decoding item asks again while it decodes (Epd:Decoder:CancelCheckInterval).
/// </summary>
public interface IJobCancellation
{
    /// <summary>The error code of an item that a cancel kept from running (in <c>errors.jsonl</c>).</summary>
    public const string CancelledCode = "cancelled";

    /// <summary>Marks the job cancelled for every stage, for <paramref name="ttl"/> (longer than its messages may wait in a queue).</summary>
    Task MarkCancelledAsync(string jobId, TimeSpan ttl, CancellationToken ct);

    /// <summary>Whether the job was cancelled; a "no" may be up to the cache's age old.</summary>
    Task<bool> IsCancelledAsync(string jobId, CancellationToken ct);
}
