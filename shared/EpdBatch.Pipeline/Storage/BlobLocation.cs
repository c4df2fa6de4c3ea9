namespace EpdBatch.Pipeline.Storage;

/// <summary>
/// A blob URI taken apart: container, blob name, and how to write another blob's URI in the same form, so that
/// listing <c>az://c/dir/</c> yields <c>az://c/dir/…</c> and listing an endpoint URI yields endpoint URIs.
/// </summary>
internal sealed record BlobLocation(string Container, string BlobName, string UriBase, bool EscapeNames)
{
    private const string AzScheme = "az://";

    /// <summary>The URI of another blob in the same container, in this location's form.</summary>
    public string UriOf(string blobName) => UriBase + (EscapeNames ? EscapePath(blobName) : blobName);

    /// <summary>Parses <paramref name="uri"/> for the account at <paramref name="serviceUri"/>.</summary>
    public static BlobLocation Parse(string uri, Uri serviceUri, string accountName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(uri);

        // System.Uri (here and in the SDK's requests) removes dot segments, so "c/../other/x" would address another
        // container: refuse them on the text as written, whatever checked the URI before.
        if (BlobPaths.TraversalProblem(BlobPaths.RawPath(uri, out var authority)) is { } traversal)
        {
            throw new InvalidBlobUriException(uri, traversal);
        }

        if (authority.Contains('@', StringComparison.Ordinal))
        {
            throw new InvalidBlobUriException(uri, "user info (user:password@) is refused in blob URIs");
        }
        if (uri.StartsWith(AzScheme, StringComparison.OrdinalIgnoreCase))
        {
            return Split(uri, uri[AzScheme.Length..], AzScheme, escapeNames: false);
        }

        if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https"))
        {
            throw new InvalidBlobUriException(uri, "expected https://<account>.blob.core.windows.net/<container>/<path>, the configured endpoint's form, or az://<container>/<path>");
        }

        var service = serviceUri.AbsoluteUri.TrimEnd('/') + "/";
        var servicePath = serviceUri.AbsolutePath.TrimEnd('/') + "/";
        var sameAuthority = string.Equals(parsed.Scheme, serviceUri.Scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(parsed.Authority, serviceUri.Authority, StringComparison.OrdinalIgnoreCase);
        if (sameAuthority && parsed.AbsolutePath.StartsWith(servicePath, StringComparison.Ordinal))
        {
            return Split(uri, Uri.UnescapeDataString(parsed.AbsolutePath[servicePath.Length..]), service, escapeNames: true);
        }

        // https://<account>.blob.<suffix>/<container>/<path>: the public form, wherever the endpoint is configured.
        var host = parsed.Host;
        var dot = host.IndexOf(".blob.", StringComparison.OrdinalIgnoreCase);
        if (dot > 0)
        {
            var account = host[..dot];
            if (!string.Equals(account, accountName, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidBlobUriException(uri, $"it is in storage account '{account}', but the configured account is '{accountName}'");
            }

            return Split(uri, Uri.UnescapeDataString(parsed.AbsolutePath.TrimStart('/')), $"{parsed.Scheme}://{parsed.Authority}/", escapeNames: true);
        }

        throw new InvalidBlobUriException(uri, $"it is neither under the configured endpoint {service} nor an https://<account>.blob.core.windows.net URI");
    }

    private static BlobLocation Split(string uri, string path, string uriBase, bool escapeNames)
    {
        var slash = path.IndexOf('/', StringComparison.Ordinal);
        var container = slash < 0 ? path : path[..slash];
        var blobName = slash < 0 ? string.Empty : path[(slash + 1)..];
        if (container.Length == 0)
        {
            throw new InvalidBlobUriException(uri, "it names no container");
        }

        var containerPart = escapeNames ? Uri.EscapeDataString(container) : container;
        return new BlobLocation(container, blobName, uriBase + containerPart + "/", escapeNames);
    }

    private static string EscapePath(string blobName) =>
        string.Join('/', blobName.Split('/').Select(Uri.EscapeDataString));
}
