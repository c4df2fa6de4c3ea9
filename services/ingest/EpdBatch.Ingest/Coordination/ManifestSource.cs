using EpdBatch.Pipeline.Storage;

namespace EpdBatch.Ingest.Coordination;

/// <summary>
/// Opens a manifest for reading: a local file (or, with the local-folder store, any URI it resolves) is streamed
/// from disk; a blob is read through <see cref="IBlobStore"/>, which returns it whole, and then parsed as a stream.
/// With Azure Blob Storage the manifest is always a blob: the ingest never reads its own host's files for a job
/// (the CLI uploads a local manifest first).
/// </summary>
internal static class ManifestSource
{
    public static async Task<Stream> OpenAsync(IBlobStore blobs, string uri, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(uri);
        var path = LocalPath(blobs, uri);
        if (path is not null)
        {
            try
            {
                return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new BlobNotFoundException(uri, e);
            }
        }

        return new MemoryStream(await blobs.ReadAsync(uri, ct), writable: false);
    }

    private static string? LocalPath(IBlobStore blobs, string uri)
    {
        if (blobs is AzureBlobStore)
        {
            return null;
        }

        if (uri.StartsWith("file:", StringComparison.OrdinalIgnoreCase) && Uri.TryCreate(uri, UriKind.Absolute, out var file) && file.IsFile)
        {
            return file.LocalPath;
        }

        if (!uri.Contains("://", StringComparison.Ordinal) && File.Exists(uri))
        {
            return Path.GetFullPath(uri);
        }

        return blobs is LocalFolderStore local ? local.Resolve(uri) : null;
    }
}
