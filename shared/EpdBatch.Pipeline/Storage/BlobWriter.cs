namespace EpdBatch.Pipeline.Storage;

/// <summary>
/// A blob written in one pass, for content too large to hold in memory (<see cref="IBlobStore.OpenWriteAsync"/>).
/// The blob changes only at <see cref="CommitAsync"/>, all at once: a writer disposed without a commit (whatever
/// produced the content failed), or a process that dies mid-way, leaves the name as it was — the previous blob,
/// or none — never a blob that is only partly written.
/// </summary>
public abstract class BlobWriter : IAsyncDisposable
{
    /// <summary>Bytes written so far.</summary>
    public long Length { get; protected set; }

    /// <summary>Appends <paramref name="content"/>; the caller may reuse its buffer once this returns.</summary>
    public abstract ValueTask WriteAsync(ReadOnlyMemory<byte> content, CancellationToken ct);

    /// <summary>Makes what was written the blob's content, replacing what it held, creating its container where missing.</summary>
    public abstract Task CommitAsync(CancellationToken ct);

    /// <summary>Releases the writer; an uncommitted one discards what was written.</summary>
    public async ValueTask DisposeAsync()
    {
        await DisposeAsyncCore().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    protected abstract ValueTask DisposeAsyncCore();
}
