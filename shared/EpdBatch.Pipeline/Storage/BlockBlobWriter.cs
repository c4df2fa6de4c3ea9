using System.Buffers;
using System.Buffers.Binary;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace EpdBatch.Pipeline.Storage;

/// <summary>
/// <see cref="BlobWriter"/> of <see cref="AzureBlobStore"/>: the bytes are gathered into blocks of a fixed size, each
/// staged (Put Block) as it fills, and the block list is committed (Put Block List) at <see cref="CommitAsync"/>.
/// Staged blocks are invisible until then: a writer that fails or dies leaves the blob as it was, and the service
/// discards its uncommitted blocks (at the blob's next commit, or after a week). Each stage and the commit go
/// through the store's retry pipeline; staging a block again under its id, or committing the same list again,
/// gives the same blob.
/// </summary>
internal sealed class BlockBlobWriter : BlobWriter
{
    private readonly AzureBlobStore _store;
    private readonly BlobContainerClient _container;
    private readonly BlockBlobClient _blob;
    private readonly string _contentType;
    private readonly List<string> _blockIds = [];
    // Block ids are unique to this writer (a writer id and the block's number) and all of one length, which the
    // service requires of the blocks of a blob, those other writers left uncommitted included.
    private readonly Guid _writerId = Guid.NewGuid();
    private readonly int _blockSize;
    private byte[]? _buffer;
    private int _filled;
    private bool _committed;

    public BlockBlobWriter(AzureBlobStore store, BlobContainerClient container, BlockBlobClient blob, string contentType, int blockSizeBytes)
    {
        _store = store;
        _container = container;
        _blob = blob;
        _contentType = contentType;
        _blockSize = blockSizeBytes;
        _buffer = ArrayPool<byte>.Shared.Rent(blockSizeBytes);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> content, CancellationToken ct)
    {
        var buffer = _committed ? null : _buffer;
        ObjectDisposedException.ThrowIf(buffer is null, this);
        Length += content.Length;
        while (!content.IsEmpty)
        {
            var take = Math.Min(content.Length, _blockSize - _filled);
            content.Span[..take].CopyTo(buffer.AsSpan(_filled));
            _filled += take;
            content = content[take..];
            if (_filled == _blockSize)
            {
                await StageAsync(buffer, ct);
            }
        }
    }

    public override async Task CommitAsync(CancellationToken ct)
    {
        var buffer = _committed ? null : _buffer;
        ObjectDisposedException.ThrowIf(buffer is null, this);
        if (_filled > 0)
        {
            await StageAsync(buffer, ct);
        }

        // An empty list makes an empty blob, as writing no bytes does elsewhere.
        var commit = new CommitBlockListOptions { HttpHeaders = new BlobHttpHeaders { ContentType = _contentType } };
        await _store.UploadCreatingContainerAsync(
            _container,
            (Blob: _blob, Ids: _blockIds, Options: commit),
            static (state, token) => state.Blob.CommitBlockListAsync(state.Ids, state.Options, token),
            ct);
        _committed = true;
        ReturnBuffer();
    }

    protected override ValueTask DisposeAsyncCore()
    {
        ReturnBuffer();
        return ValueTask.CompletedTask;
    }

    private async Task StageAsync(byte[] buffer, CancellationToken ct)
    {
        var blockId = BlockId(_writerId, _blockIds.Count);
        await _store.UploadCreatingContainerAsync(
            _container,
            (Blob: _blob, Id: blockId, Buffer: buffer, Length: _filled),
            // A fresh stream over the block for every try, so that a retry sends the block from its start.
            static (state, token) => state.Blob.StageBlockAsync(state.Id, new MemoryStream(state.Buffer, 0, state.Length, writable: false), cancellationToken: token),
            ct);
        _blockIds.Add(blockId);
        _filled = 0;
    }

    private static string BlockId(Guid writer, long number)
    {
        Span<byte> id = stackalloc byte[24];
        writer.TryWriteBytes(id);
        BinaryPrimitives.WriteInt64BigEndian(id[16..], number);
        return Convert.ToBase64String(id);
    }

    private void ReturnBuffer()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
