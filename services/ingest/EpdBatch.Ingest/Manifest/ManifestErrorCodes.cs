namespace EpdBatch.Ingest.Manifest;

/// <summary>
/// The <c>error.code</c> values of a rejected manifest line (in <c>errors.jsonl</c>, stage <c>ingest</c>), and of a
/// job that fails as a whole before any item runs.
/// </summary>
public static class ManifestErrorCodes
{
    // One line.
    public const string InvalidJson = "invalid_json";
    public const string InvalidUtf8 = "invalid_utf8";
    public const string UnexpectedBom = "unexpected_bom";
    public const string LineTooLong = "line_too_long";
    public const string FormatMismatch = "format_mismatch";
    public const string MissingCustomId = "missing_custom_id";
    public const string InvalidCustomId = "invalid_custom_id";
    public const string DuplicateCustomId = "duplicate_custom_id";
    public const string UnknownField = "unknown_field";
    public const string MissingPrompt = "missing_prompt";
    public const string InvalidValue = "invalid_value";
    public const string OutOfRange = "out_of_range";
    public const string LimitExceeded = "limit_exceeded";
    public const string UnsupportedMethod = "unsupported_method";
    public const string UnsupportedUrl = "unsupported_url";
    public const string MissingBody = "missing_body";
    public const string MissingMessages = "missing_messages";
    public const string UnsupportedMessage = "unsupported_message";
    public const string UnsupportedContentType = "unsupported_content_type";
    public const string UnsupportedParameter = "unsupported_parameter";
    public const string UnsupportedMediaUri = "unsupported_media_uri";
    public const string TooManyImages = "too_many_images";
    public const string TooManyVideos = "too_many_videos";
    public const string MissingMedia = "missing_media";

    // The whole job.
    public const string EmptyManifest = "empty_manifest";
    public const string ManifestNotFound = "manifest_not_found";
    public const string TooManyItems = "too_many_items";
    public const string StrictValidationFailed = "strict_validation_failed";
    public const string NoValidItems = "no_valid_items";
}
