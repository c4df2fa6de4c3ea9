namespace EpdBatch.Pipeline.Storage;

/// <summary>A blob (or its container, or a local file) that does not exist: permanent, never retried.</summary>
public sealed class BlobNotFoundException : PermanentItemException
{
    public const string ErrorCode = "blob_not_found";

    public BlobNotFoundException(string uri, Exception? innerException = null)
        : base(PipelineStages.Storage, ErrorCode, $"Blob not found: {SecretRedactor.Redact(uri)}", innerException)
    {
        Uri = uri;
    }

    public string Uri { get; }
}
