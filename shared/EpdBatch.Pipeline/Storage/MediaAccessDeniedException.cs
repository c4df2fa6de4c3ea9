namespace EpdBatch.Pipeline.Storage;

/// <summary>
/// A media URI that <see cref="MediaAccessPolicy"/> refuses (another host or account, a container off the allowlist,
/// a path that leaves the media root, a dot segment): permanent, and raised before any request is made.
/// </summary>
public sealed class MediaAccessDeniedException : PermanentItemException
{
    public const string ErrorCode = "media_access_denied";

    public MediaAccessDeniedException(string uri, string reason)
        : base(PipelineStages.Storage, ErrorCode, $"Media '{SecretRedactor.Redact(uri)}' may not be read: {reason}")
    {
        Uri = uri;
    }

    public string Uri { get; }
}
