namespace EpdBatch.Pipeline.Storage;

/// <summary>A URI that the blob store cannot address (another account, a path outside the local root, no container): permanent.</summary>
public sealed class InvalidBlobUriException : PermanentItemException
{
    public const string ErrorCode = "blob_uri_invalid";

    public InvalidBlobUriException(string uri, string reason)
        : base(PipelineStages.Storage, ErrorCode, $"Cannot address blob '{SecretRedactor.Redact(uri)}': {reason}")
    {
        Uri = uri;
        Reason = reason;
    }

    public string Uri { get; }

    /// <summary>Why, without the URI: for messages that name the URI their own way.</summary>
    public string Reason { get; }
}
