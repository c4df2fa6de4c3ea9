namespace EpdBatch.Pipeline.Storage;

/// <summary>A blob larger than its reader accepts, refused from its stored length before its bytes are read: permanent.</summary>
public sealed class BlobTooLargeException : PermanentItemException
{
    public const string ErrorCode = "blob_too_large";

    public BlobTooLargeException(string uri, long length, long maxBytes)
        : base(PipelineStages.Storage, ErrorCode, $"Blob '{SecretRedactor.Redact(uri)}' has {length} bytes, more than the {maxBytes} accepted")
    {
        Uri = uri;
        Length = length;
        MaxBytes = maxBytes;
    }

    public string Uri { get; }

    public long Length { get; }

    public long MaxBytes { get; }
}
