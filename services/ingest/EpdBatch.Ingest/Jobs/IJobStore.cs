using EpdBatch.Ingest.Manifest;

namespace EpdBatch.Ingest.Jobs;

/// <summary>
/// The ingest's record of truth: jobs, their items, each item's terminal state (recorded once per job and item,
/// whatever the duplicates), which items were published and flushed, and the replicas' leases on jobs. Redis in
/// the distributed mode (<see cref="RedisJobStore"/>: it survives a restart of any process), in-process in the
/// embedded one (<see cref="InMemoryJobStore"/>).
/// </summary>
public interface IJobStore
{
    /// <summary>
    /// Records a new job and maps its idempotency key to it, atomically; where the key already names a job that
    /// still exists, records nothing and returns that job.
    /// </summary>
    Task<JobCreation> CreateAsync(JobRecord job, CancellationToken ct);

    Task<JobRecord?> GetAsync(string jobId, CancellationToken ct);

    /// <summary>The newest jobs first.</summary>
    Task<IReadOnlyList<JobRecord>> ListAsync(int limit, CancellationToken ct);

    /// <summary>Jobs not yet retired (a driver still has something to do, or to finish).</summary>
    Task<IReadOnlyList<string>> ListActiveAsync(CancellationToken ct);

    /// <summary>Moves the job from <paramref name="from"/> to <paramref name="to"/> if it is still in <paramref name="from"/> (compare and set), stamping the time; false otherwise.</summary>
    Task<bool> TryTransitionAsync(string jobId, JobState from, JobState to, DateTimeOffset at, string? errorCode, string? errorMessage, CancellationToken ct);

    Task SetRetriedByAsync(string jobId, string retryJobId, CancellationToken ct);

    /// <summary>Drops the items a previous, interrupted validation stored (nothing of them was published).</summary>
    Task ResetItemsAsync(string jobId, CancellationToken ct);

    /// <summary>Appends valid items, in manifest order.</summary>
    Task AddItemsAsync(string jobId, IReadOnlyList<ManifestItem> items, CancellationToken ct);

    /// <summary>Validation is over: <paramref name="items"/> valid items, <paramref name="total"/> lines in all.</summary>
    Task SetValidatedAsync(string jobId, int items, int total, string? format, CancellationToken ct);

    /// <summary>Items by their position in manifest order (not by index).</summary>
    Task<IReadOnlyList<ManifestItem>> GetItemsAsync(string jobId, int start, int count, CancellationToken ct);

    /// <summary>Records that the first <paramref name="published"/> items (in manifest order) have been sent.</summary>
    Task SetPublishedAsync(string jobId, int published, CancellationToken ct);

    /// <summary>
    /// Records an item's terminal state once: the first outcome for (job, index) wins and counts; later ones are
    /// <see cref="OutcomeRecording.Duplicate"/>. An outcome of a stage (<paramref name="invalidLine"/> false) must
    /// name a stored item.
    /// </summary>
    Task<OutcomeRecording> RecordOutcomeAsync(string jobId, ItemOutcome outcome, bool invalidLine, CancellationToken ct);

    /// <summary>How many outcomes have been recorded (the length of the completion log).</summary>
    Task<long> CountOutcomesAsync(string jobId, CancellationToken ct);

    /// <summary>Outcomes in the order they were recorded, from position <paramref name="start"/>.</summary>
    Task<IReadOnlyList<ItemOutcome>> ReadOutcomeLogAsync(string jobId, long start, int count, CancellationToken ct);

    /// <summary>
    /// Every outcome, ordered by item index, a page at a time, so that a reader holds one page and not the job:
    /// page <c>k</c> holds the outcomes whose index lies in [<c>k</c> × <paramref name="pageSize"/>, (<c>k</c> + 1) ×
    /// <paramref name="pageSize"/>), and a range without outcomes gives no page. Outcomes recorded once the read
    /// has begun may be left out.
    /// </summary>
    IAsyncEnumerable<IReadOnlyList<ItemOutcome>> ReadOutcomePagesAsync(string jobId, int pageSize, CancellationToken ct);

    /// <summary>Records that a part file holding the log's outcomes up to <paramref name="flushed"/> was written, if none was since <paramref name="expected"/>.</summary>
    Task<bool> CommitFlushAsync(string jobId, long expected, long flushed, CancellationToken ct);

    /// <summary>Takes, or renews, <paramref name="owner"/>'s exclusive claim on driving the job; false where another owner holds it.</summary>
    Task<bool> TryAcquireLeaseAsync(string jobId, string owner, TimeSpan duration, CancellationToken ct);

    Task ReleaseLeaseAsync(string jobId, string owner, CancellationToken ct);

    /// <summary>The job is finished and exported: drop it from the active set and keep its data for <paramref name="retention"/>.</summary>
    Task RetireAsync(string jobId, TimeSpan retention, CancellationToken ct);
}
