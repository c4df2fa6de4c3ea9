namespace EpdBatch.Ingest.Client;

/// <summary>
/// Jobs as a caller (the <c>epd</c> CLI) sees them. Commands go to the ingest service over the bus (request and
/// reply on <see cref="IngestOptions.JobQueue"/>) and return once the ingest has recorded them; reads come straight
/// from the job store. In the embedded mode the ingest runs in the same process, over the in-memory bus.
/// </summary>
public interface IJobClient
{
    /// <summary>Submits a job and returns at once, in <c>validating</c>; the same idempotency key returns the existing job instead.</summary>
    /// <exception cref="JobRejectedException">The ingest refused the job (e.g. no manifest there, an output it cannot write).</exception>
    /// <exception cref="IngestUnavailableException">No ingest service answered.</exception>
    Task<JobStatus> SubmitAsync(JobSubmission submission, CancellationToken ct);

    /// <summary>The job, or null where there is none (or it is past its retention).</summary>
    Task<JobStatus?> GetAsync(string jobId, CancellationToken ct);

    /// <summary>The newest jobs first.</summary>
    Task<IReadOnlyList<JobStatus>> ListAsync(int limit, CancellationToken ct);

    /// <summary>Cancels the job: publishing stops, items in flight may finish, what completed is exported; state <c>cancelling</c>, then <c>cancelled</c>.</summary>
    Task<JobStatus> CancelAsync(string jobId, CancellationToken ct);

    /// <summary>A new job of the finished job's failed items, linked both ways (<c>retry_of</c>, <c>retried_by</c>); retrying twice returns the same new job.</summary>
    Task<JobStatus> RetryAsync(string jobId, string? outputUri, CancellationToken ct);

    /// <summary>Polls until the job is completed, failed or cancelled, and returns it then.</summary>
    Task<JobStatus> WaitAsync(string jobId, TimeSpan pollInterval, CancellationToken ct);
}
