using EpdBatch.Contracts;

namespace EpdBatch.Ingest.Coordination;

/// <summary>The reply to a command: exactly one of <see cref="Accepted"/> and <see cref="Rejected"/>.</summary>
internal sealed record CommandResult<T>(T? Accepted, JobRejected? Rejected)
    where T : class
{
    public static CommandResult<T> Accept(T reply) => new(reply, null);

    public static CommandResult<T> Reject(string? jobId, string code, string message) => new(null, new JobRejected(jobId, code, message));
}
