namespace EpdBatch.Pipeline.Storage;

/// <summary>Blob URIs as the pipeline keeps them.</summary>
public static class BlobUris
{
    /// <summary>
    /// <paramref name="uri"/>, trimmed, without its query where it is an http(s) URI. A SAS token there is never
    /// needed: the stores address a blob by container and name and authenticate with the deployment's own
    /// credentials (<c>EPD_BLOB</c>), so the token is dropped where a URI enters the system and is then kept in no
    /// message, record or output. Other URIs (<c>az://</c>, <c>file://</c>, local paths), where a <c>?</c> is no
    /// query, come back as given.
    /// </summary>
    public static string WithoutQuery(string uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var trimmed = uri.Trim();
        if (!trimmed.StartsWith("https://", StringComparison.OrdinalIgnoreCase) && !trimmed.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            return trimmed;
        }

        var query = trimmed.IndexOf('?', StringComparison.Ordinal);
        return query < 0 ? trimmed : trimmed[..query];
    }
}
