namespace EpdBatch.Ingest.Client;

/// <summary>The ingest service refused a command (no such job, a manifest that does not exist, a job not finished yet…); nothing changed.</summary>
public sealed class JobRejectedException : InvalidOperationException
{
    public JobRejectedException(string? jobId, string code, string message)
        : base(message)
    {
        JobId = jobId;
        Code = code;
    }

    public string? JobId { get; }

    /// <summary>A short machine-readable reason, e.g. <c>job_not_found</c>.</summary>
    public string Code { get; }
}
