namespace EpdBatch.Pipeline.Storage;

/// <summary>
/// <see cref="BlobWriter"/> of <see cref="LocalFolderStore"/>: the bytes go to a temporary file beside the target
/// (<c>&lt;name&gt;.&lt;random&gt;.tmp</c>, which listings skip), renamed over the target at the commit. A rename within a
/// folder is atomic, so a reader sees the old file or the new one whole.
/// </summary>
internal sealed class LocalFileWriter : BlobWriter
{
    private readonly string _path;
    private readonly string _temporary;
    private readonly FileStream _file;
    private bool _committed;

    public LocalFileWriter(string path)
    {
        _path = path;
        _temporary = TemporaryPathFor(path);
        _file = new FileStream(_temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
    }

    /// <summary>A fresh temporary name beside <paramref name="path"/>; two writers of one name never share one.</summary>
    public static string TemporaryPathFor(string path) => $"{path}.{Guid.NewGuid():N}.tmp";

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> content, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        await _file.WriteAsync(content, ct);
        Length += content.Length;
    }

    public override async Task CommitAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        await _file.FlushAsync(ct);
        await _file.DisposeAsync();
        File.Move(_temporary, _path, overwrite: true);
        _committed = true;
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await _file.DisposeAsync();
        if (!_committed)
        {
            File.Delete(_temporary);
        }
    }
}
