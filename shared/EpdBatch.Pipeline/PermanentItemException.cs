namespace EpdBatch.Pipeline;

/// <summary>
/// An item failed in a way that trying again cannot fix (a missing blob, undecodable media, a prompt too long for
/// the model). The message retry policy never retries it; the stage reports the item as failed with
/// <see cref="Stage"/> and <see cref="Code"/> and the job goes on.
/// </summary>
public class PermanentItemException : Exception
{
    public PermanentItemException(string stage, string code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stage);
        ArgumentException.ThrowIfNullOrWhiteSpace(code);
        Stage = stage;
        Code = code;
    }

    /// <summary>The stage that failed: one of <see cref="PipelineStages"/>, or <see cref="PipelineStages.Storage"/> where a store threw.</summary>
    public string Stage { get; }

    /// <summary>A short machine-readable reason, e.g. <c>blob_not_found</c>.</summary>
    public string Code { get; }
}
