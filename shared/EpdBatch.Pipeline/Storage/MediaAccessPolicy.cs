using Azure.Storage.Blobs;

namespace EpdBatch.Pipeline.Storage;

/// <summary>
/// Which URIs the pipeline may read media from, decided on the URI's text before any request is made. The ingest
/// checks every manifest line with it (a refused URI fails its line), and the encoder checks again before it
/// downloads, so a message that reached the queue some other way, or an encoder configured more strictly than the
/// ingest, cannot read what it should not.
/// </summary>
/// <remarks>
/// <para>Azure mode: <c>az://&lt;container&gt;/&lt;blob&gt;</c>, the configured endpoint's form
/// (<c>http://127.0.0.1:10000/devstoreaccount1/&lt;container&gt;/&lt;blob&gt;</c> for Azurite) and
/// <c>https://&lt;account&gt;.blob.core.windows.net/&lt;container&gt;/&lt;blob&gt;</c> for the configured account
/// alone; the container must be in <see cref="EpdStorageOptions.MediaContainers"/> where that is set. Refused:
/// other hosts and ports (loopback included), other accounts, <c>file://</c> and every other scheme, user info
/// (<c>user:pass@</c>), fragments, <c>.</c>/<c>..</c> segments (percent-encoded too), backslashes, empty
/// segments. A query string (a SAS token of the configured account) is dropped: the stores use their own
/// credentials, so the token is neither needed nor carried further.</para>
/// <para>Embedded mode (local folder): local paths, <c>file://</c> and <c>az://</c> (read as
/// <c>&lt;root&gt;/&lt;container&gt;/&lt;blob&gt;</c>) whose real path, symbolic links followed, lies under
/// <see cref="EpdStorageOptions.MediaRoot"/>.</para>
/// </remarks>
public sealed class MediaAccessPolicy
{
    // The public endpoint suffixes of Azure's clouds; a host is accepted only as <configured account>.blob.<suffix>.
    private static readonly string[] s_publicSuffixes = ["core.windows.net", "core.chinacloudapi.cn", "core.usgovcloudapi.net"];

    private readonly LocalFolderStore? _local;
    private readonly string? _mediaRoot;
    private readonly Uri? _service;
    private readonly string? _account;
    private readonly HashSet<string>? _containers;

    private MediaAccessPolicy(LocalFolderStore? local, string? mediaRoot, Uri? service, string? account, IReadOnlyList<string> containers)
    {
        _local = local;
        _mediaRoot = mediaRoot is null ? null : BlobPaths.ResolveLinks(mediaRoot);
        _service = service;
        _account = account;
        _containers = containers.Count == 0 ? null : new HashSet<string>(containers, StringComparer.Ordinal);
    }

    /// <summary>The media root of the embedded mode (real path), or null in the Azure mode.</summary>
    public string? MediaRoot => _mediaRoot;

    /// <summary>The policy of an Azure Blob Storage account at <paramref name="serviceUri"/>.</summary>
    public static MediaAccessPolicy ForAzure(Uri serviceUri, string accountName, EpdStorageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(serviceUri);
        ArgumentException.ThrowIfNullOrWhiteSpace(accountName);
        return new MediaAccessPolicy(null, null, serviceUri, accountName, (options ?? new EpdStorageOptions()).MediaContainerList);
    }

    /// <summary>The policy of a local-folder store: media under <see cref="EpdStorageOptions.MediaRoot"/>, or the store's root.</summary>
    public static MediaAccessPolicy ForLocalFolder(LocalFolderStore store, EpdStorageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        return new MediaAccessPolicy(store, options?.MediaRoot ?? store.Root, null, null, []);
    }

    /// <summary>The policy of an <see cref="AzureBlobStore"/> or a <see cref="LocalFolderStore"/>.</summary>
    public static MediaAccessPolicy For(IBlobStore store, EpdStorageOptions? options = null) => store switch
    {
        AzureBlobStore azure => ForAzure(azure.ServiceUri, azure.AccountName, options),
        LocalFolderStore local => ForLocalFolder(local, options),
        _ => throw new ArgumentException($"No media policy for a {store?.GetType().Name ?? "null"} store; use Create with the connection settings.", nameof(store)),
    };

    /// <summary>
    /// The policy of <paramref name="store"/>; for a store of another kind (a wrapper), the policy the connection
    /// settings select: the account of <see cref="EpdConnectionOptions.Blob"/>, else the local root.
    /// </summary>
    public static MediaAccessPolicy Create(IBlobStore store, EpdConnectionOptions connections, EpdStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(connections);
        ArgumentNullException.ThrowIfNull(options);
        switch (store)
        {
            case AzureBlobStore azure:
                return ForAzure(azure.ServiceUri, azure.AccountName, options);
            case LocalFolderStore local:
                return ForLocalFolder(local, options);
        }

        if (connections.Blob is { } blob)
        {
            // Parses the connection string only; no request is made.
            var service = new BlobServiceClient(blob);
            return ForAzure(service.Uri, service.AccountName, options);
        }

        return ForLocalFolder(new LocalFolderStore(options.LocalRoot ?? Environment.CurrentDirectory), options);
    }

    /// <summary>
    /// Whether media may be read from <paramref name="uri"/>; <paramref name="normalized"/> is the URI as the
    /// stages carry it (trimmed, any query dropped), <paramref name="reason"/> says why not.
    /// </summary>
    public bool TryCheckMedia(string uri, out string normalized, out string reason) => TryCheck(uri, media: true, out normalized, out reason);

    /// <summary>
    /// Whether <paramref name="uri"/> is a blob the store may address at all (for outputs): the same checks as
    /// <see cref="TryCheckMedia"/> but for the container allowlist and the media root.
    /// </summary>
    public bool TryCheckAddress(string uri, out string normalized, out string reason) => TryCheck(uri, media: false, out normalized, out reason);

    /// <summary>Throws <see cref="MediaAccessDeniedException"/> where media may not be read from <paramref name="uri"/>.</summary>
    public string CheckMedia(string uri) =>
        TryCheckMedia(uri, out var normalized, out var reason) ? normalized : throw new MediaAccessDeniedException(uri, reason);

    private bool TryCheck(string uri, bool media, out string normalized, out string reason)
    {
        ArgumentNullException.ThrowIfNull(uri);
        normalized = uri.Trim();
        reason = "";
        if (normalized.Length == 0)
        {
            reason = "the URI is empty";
            return false;
        }

        if (normalized.Any(char.IsControl))
        {
            reason = "the URI holds control characters";
            return false;
        }

        if (normalized.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            reason = "inline data: URIs are not supported; upload the media to blob storage and give its URI";
            return false;
        }

        var problem = _local is not null ? CheckLocal(normalized, media) : CheckRemote(ref normalized, media);
        reason = problem ?? "";
        return problem is null;
    }

    private string? CheckRemote(ref string uri, bool media)
    {
        string path;
        if (uri.StartsWith("az://", StringComparison.OrdinalIgnoreCase))
        {
            if (uri.IndexOfAny(['?', '#']) >= 0)
            {
                return "an az:// URI takes no query or fragment";
            }

            path = BlobPaths.RawPath(uri, out _);
        }
        else if (uri.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || uri.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            var raw = BlobPaths.RawPath(uri, out var authority);
            if (authority.Contains('@', StringComparison.Ordinal))
            {
                return "user info (user:password@) is refused in media URIs";
            }

            if (uri.Contains('#', StringComparison.Ordinal))
            {
                return "fragments (#...) are refused in media URIs";
            }

            if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || parsed.Host.Length == 0)
            {
                return "not a valid http(s) URI";
            }

            var servicePath = _service is null ? null : _service.AbsolutePath.TrimEnd('/') + "/";
            if (_service is not null
                && string.Equals(parsed.Scheme, _service.Scheme, StringComparison.OrdinalIgnoreCase)
                && string.Equals(authority, _service.Authority, StringComparison.OrdinalIgnoreCase)
                && raw.StartsWith(servicePath!, StringComparison.Ordinal))
            {
                path = raw[servicePath!.Length..];
            }
            else if (parsed.Scheme == "https" && parsed.IsDefaultPort && _account is not null
                     && s_publicSuffixes.Any(suffix => string.Equals(authority, $"{_account}.blob.{suffix}", StringComparison.OrdinalIgnoreCase)))
            {
                path = raw.TrimStart('/');
            }
            else
            {
                return $"only the configured storage account is read: {Expected()}";
            }

            // The stores authenticate with their own credentials: a SAS token (or any query) is not needed, and
            // dropping it here keeps it out of every message, log and error that follows.
            uri = BlobUris.WithoutQuery(uri);
        }
        else
        {
            var scheme = uri.IndexOf("://", StringComparison.Ordinal) is > 0 and var end ? uri[..end] : null;
            return scheme is null
                ? $"not a blob URI: {Expected()}"
                : $"{scheme}:// URIs are not read with blob storage: {Expected()}";
        }

        if (BlobPaths.TraversalProblem(path) is { } traversal)
        {
            return traversal;
        }

        if (path.Contains("//", StringComparison.Ordinal))
        {
            return "empty path segments ('//') are refused";
        }

        var slash = path.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == path.Length - 1)
        {
            return "the URI must name a container and a blob: az://<container>/<path>";
        }

        var container = BlobPaths.FullyUnescape(path[..slash]);
        if (!BlobPaths.HasContainerCharacters(container))
        {
            return $"'{container}' is not a container name (lowercase letters, digits and single hyphens)";
        }

        if (media && _containers is not null && !_containers.Contains(container))
        {
            return $"container '{container}' is not one media may be read from (Epd:Storage:MediaContainers)";
        }

        return null;
    }

    private string? CheckLocal(string uri, bool media)
    {
        string full;
        try
        {
            full = _local!.Resolve(uri);
        }
        catch (InvalidBlobUriException e)
        {
            return e.Reason;
        }

        if (!media)
        {
            return null;
        }

        string real;
        try
        {
            real = BlobPaths.ResolveLinks(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e.Message;
        }

        if (!BlobPaths.IsUnder(real, _mediaRoot!))
        {
            return real == full
                ? $"it is outside the media root {_mediaRoot} (set with --media-root or Epd:Storage:MediaRoot)"
                : $"a symbolic link leads it outside the media root {_mediaRoot}";
        }

        return null;
    }

    private string Expected()
    {
        var forms = new List<string> { "az://<container>/<path>" };
        if (_service is not null)
        {
            forms.Add(_service.AbsoluteUri.TrimEnd('/') + "/<container>/<path>");
        }

        if (_account is not null)
        {
            forms.Add($"https://{_account}.blob.core.windows.net/<container>/<path>");
        }

        return string.Join(", ", forms);
    }
}
