using EpdBatch.Pipeline.Storage;

namespace EpdBatch.Ingest.Manifest;

/// <summary>
/// Which media URIs a manifest may name, by the blob store the stages read with: with Azure Blob Storage,
/// <c>https://&lt;account&gt;.blob.core.windows.net/&lt;c&gt;/&lt;p&gt;</c>, the configured endpoint's form (Azurite) and
/// <c>az://&lt;c&gt;/&lt;p&gt;</c>; with the local folder of the embedded mode, local paths inside its root,
/// <c>file://</c> and <c>az://</c>. Checked at ingest so that a bad URI fails its line at once, not in the encoder.
/// </summary>
public sealed class MediaUriPolicy
{
    private readonly LocalFolderStore? _local;
    private readonly Uri? _azureService;

    private MediaUriPolicy(LocalFolderStore? local, Uri? azureService)
    {
        _local = local;
        _azureService = azureService;
    }

    /// <summary>The policy of <paramref name="store"/>; a store of another kind accepts any <c>az://</c> or http(s) URI.</summary>
    public static MediaUriPolicy For(IBlobStore store) => store switch
    {
        LocalFolderStore local => new MediaUriPolicy(local, null),
        AzureBlobStore azure => new MediaUriPolicy(null, azure.ServiceUri),
        _ => new MediaUriPolicy(null, null),
    };

    /// <summary>Checks one URI; <paramref name="normalized"/> is the URI trimmed, as the stores take it.</summary>
    public bool TryNormalize(string uri, out string normalized, out string reason)
    {
        normalized = uri.Trim();
        reason = "";
        if (normalized.Length == 0)
        {
            reason = "the URI is empty";
            return false;
        }

        if (normalized.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            reason = "inline data: URIs are not supported; upload the media to blob storage and give its URI";
            return false;
        }

        if (normalized.StartsWith("az://", StringComparison.OrdinalIgnoreCase))
        {
            var path = normalized[5..];
            var slash = path.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0 || slash == path.Length - 1)
            {
                reason = "an az:// URI names a container and a blob: az://<container>/<path>";
                return false;
            }

            return CheckLocal(normalized, ref reason);
        }

        if (_local is not null)
        {
            return CheckLocal(normalized, ref reason);
        }

        if (!Uri.TryCreate(normalized, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https"))
        {
            reason = "expected https://<account>.blob.core.windows.net/<container>/<path>, the configured endpoint's form or az://<container>/<path>";
            return false;
        }

        var underService = _azureService is not null
            && string.Equals(parsed.Authority, _azureService.Authority, StringComparison.OrdinalIgnoreCase)
            && parsed.AbsolutePath.StartsWith(_azureService.AbsolutePath.TrimEnd('/') + "/", StringComparison.Ordinal);
        var publicForm = parsed.Host.Contains(".blob.", StringComparison.OrdinalIgnoreCase) && parsed.AbsolutePath.Trim('/').Contains('/', StringComparison.Ordinal);
        if (underService || publicForm || _azureService is null)
        {
            return true;
        }

        reason = $"only blob storage URIs are read: https://<account>.blob.core.windows.net/..., {_azureService.AbsoluteUri.TrimEnd('/')}/... or az://...";
        return false;
    }

    private bool CheckLocal(string uri, ref string reason)
    {
        if (_local is null)
        {
            return true;
        }

        try
        {
            _local.Resolve(uri);
            return true;
        }
        catch (InvalidBlobUriException e)
        {
            reason = e.Message;
            return false;
        }
    }
}
