using System.Runtime.CompilerServices;

namespace EpdBatch.Pipeline.Storage;

/// <summary>
/// <see cref="IBlobStore"/> on a local folder, for the embedded mode. A URI is a path relative to the root
/// (<c>images/cat.jpg</c>), an absolute path inside the root, a <c>file://</c> URI inside the root, or
/// <c>az://&lt;container&gt;/&lt;path&gt;</c>, read as <c>&lt;root&gt;/&lt;container&gt;/&lt;path&gt;</c> so that one manifest
/// serves both modes. Nothing outside the root is read or written: a path that leaves it (<c>../</c>, an absolute
/// path elsewhere, or a symbolic link that leads elsewhere) is refused.
/// </summary>
public sealed class LocalFolderStore : IBlobStore
{
    private const string AzScheme = "az://";

    private readonly string _root;
    private readonly string _rootPrefix;
    private readonly string _realRoot;

    public LocalFolderStore(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        // "/" stays "/" when trimmed: the prefix of paths inside it must not become "//".
        _rootPrefix = _root.EndsWith(Path.DirectorySeparatorChar) ? _root : _root + Path.DirectorySeparatorChar;
        _realRoot = BlobPaths.ResolveLinks(_root);
    }

    /// <summary>The root folder, as a full path.</summary>
    public string Root => _root;

    public Task<byte[]> ReadAsync(string uri, CancellationToken ct) => ReadAsync(uri, Array.MaxLength, ct);

    public async Task<byte[]> ReadAsync(string uri, long maxBytes, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        var path = Resolve(uri);
        try
        {
            var length = new FileInfo(path).Length;
            if (length > Math.Min(maxBytes, Array.MaxLength))
            {
                throw new BlobTooLargeException(uri, length, Math.Min(maxBytes, Array.MaxLength));
            }

            return await File.ReadAllBytesAsync(path, ct);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new BlobNotFoundException(uri, e);
        }
    }

    public async Task WriteAsync(string uri, ReadOnlyMemory<byte> content, string contentType, CancellationToken ct)
    {
        await using var writer = await OpenWriteAsync(uri, contentType, ct);
        await writer.WriteAsync(content, ct);
        await writer.CommitAsync(ct);
    }

    public Task<BlobWriter> OpenWriteAsync(string uri, string contentType, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(contentType);
        var path = Resolve(uri);
        ct.ThrowIfCancellationRequested();
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);

        // Written beside and renamed, so that a reader never sees half a file.
        return Task.FromResult<BlobWriter>(new LocalFileWriter(path));
    }

    public async Task<string> UploadFileAsync(string localPath, string container, string blobPath, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(localPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(container);
        ArgumentException.ThrowIfNullOrWhiteSpace(blobPath);
        var target = Resolve($"{container.Trim('/')}/{blobPath.TrimStart('/')}");
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var temporary = LocalFileWriter.TemporaryPathFor(target);
        try
        {
            await using (var source = new FileStream(localPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true))
            await using (var destination = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                await source.CopyToAsync(destination, ct);
            }

            File.Move(temporary, target, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }

        return target;
    }

    public Task<bool> DeleteAsync(string uri, CancellationToken ct)
    {
        var path = Resolve(uri);
        ct.ThrowIfCancellationRequested();
        if (!File.Exists(path))
        {
            return Task.FromResult(false);
        }

        File.Delete(path);
        return Task.FromResult(true);
    }

    public async IAsyncEnumerable<string> ListAsync(string uriPrefix, [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(uriPrefix);
        var (prefixPath, format) = ResolveForListing(uriPrefix);

        // Everything under the deepest folder the prefix names, filtered by the prefix as a string (as blob
        // listing does: "dir/im" lists dir/img1.jpg and dir/images/a.jpg).
        var folder = prefixPath.EndsWith(Path.DirectorySeparatorChar) ? prefixPath : Path.GetDirectoryName(prefixPath) ?? _root;
        if (!Directory.Exists(folder))
        {
            yield break;
        }

        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => f.StartsWith(prefixPath, StringComparison.Ordinal) && !f.EndsWith(".tmp", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(_root, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal);
        foreach (var relative in files)
        {
            ct.ThrowIfCancellationRequested();
            yield return format(relative);
        }

        await Task.CompletedTask;
    }

    /// <summary>The full path that <paramref name="uri"/> names, refusing any outside the root.</summary>
    public string Resolve(string uri)
    {
        var path = FullPathOf(uri);
        if (path.Length <= _root.Length || path.EndsWith(Path.DirectorySeparatorChar))
        {
            throw new InvalidBlobUriException(uri, "it names a folder, not a file");
        }

        return path;
    }

    private (string PrefixPath, Func<string, string> Format) ResolveForListing(string uriPrefix)
    {
        if (uriPrefix.Length == 0)
        {
            return (_rootPrefix, static relative => relative);
        }

        var trailingSlash = uriPrefix.EndsWith('/') || uriPrefix.EndsWith(Path.DirectorySeparatorChar);
        var path = FullPathOf(uriPrefix);
        if (trailingSlash || path.Length == _root.Length)
        {
            path = Path.TrimEndingDirectorySeparator(path) + Path.DirectorySeparatorChar;
        }

        // Yield URIs in the form the caller used.
        Func<string, string> format = uriPrefix switch
        {
            _ when uriPrefix.StartsWith(AzScheme, StringComparison.OrdinalIgnoreCase) => static relative => AzScheme + relative,
            _ when uriPrefix.StartsWith("file:", StringComparison.OrdinalIgnoreCase) => relative => new Uri(Path.Combine(_root, relative)).AbsoluteUri,
            _ when Path.IsPathRooted(uriPrefix) => relative => Path.Combine(_root, relative),
            _ => static relative => relative,
        };
        return (path, format);
    }

    private string FullPathOf(string uri)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(uri);
        string relativeOrAbsolute;
        if (uri.StartsWith(AzScheme, StringComparison.OrdinalIgnoreCase))
        {
            relativeOrAbsolute = uri[AzScheme.Length..];
        }
        else if (uri.StartsWith("file:", StringComparison.OrdinalIgnoreCase) && Uri.TryCreate(uri, UriKind.Absolute, out var file) && file.IsFile)
        {
            if (!(file.IsLoopback || file.Host.Length == 0))
            {
                throw new InvalidBlobUriException(uri, $"file:// URIs on another host ({file.Host}) are not read");
            }

            relativeOrAbsolute = file.LocalPath;
        }
        else if (uri.Contains("://", StringComparison.Ordinal))
        {
            throw new InvalidBlobUriException(uri, "the local-folder store (no EPD_BLOB set) reads local paths, file:// and az:// URIs only");
        }
        else
        {
            relativeOrAbsolute = uri;
        }

        var full = Path.GetFullPath(Path.IsPathRooted(relativeOrAbsolute) ? relativeOrAbsolute : Path.Combine(_root, relativeOrAbsolute));
        var inside = full.Length == _root.Length
            ? string.Equals(full, _root, StringComparison.Ordinal)
            : full.StartsWith(_rootPrefix, StringComparison.Ordinal);
        if (!inside)
        {
            throw new InvalidBlobUriException(uri, $"it leaves the store's root folder {_root}");
        }

        string real;
        try
        {
            real = BlobPaths.ResolveLinks(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidBlobUriException(uri, e.Message);
        }

        if (!BlobPaths.IsUnder(real, _realRoot))
        {
            throw new InvalidBlobUriException(uri, $"a symbolic link leads it out of the store's root folder {_root}");
        }

        return full;
    }
}
