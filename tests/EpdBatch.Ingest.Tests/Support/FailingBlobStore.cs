using System.Runtime.CompilerServices;
using EpdBatch.Pipeline.Storage;

namespace EpdBatch.Ingest.Tests.Support;

/// <summary>
/// A blob store whose writes of one file name fail, for the export-failure paths: for good at once (a permission
/// refused, say), or, where <paramref name="piecesBeforeFailure"/> is set, a blob written a piece at a time fails
/// after that many pieces went through (a connection lost mid-upload).
/// </summary>
public sealed class FailingBlobStore(IBlobStore inner, string failingFileName, int piecesBeforeFailure = 0) : IBlobStore
{
    public Task<byte[]> ReadAsync(string uri, CancellationToken ct) => inner.ReadAsync(uri, ct);

    public Task WriteAsync(string uri, ReadOnlyMemory<byte> content, string contentType, CancellationToken ct) =>
        Fails(uri)
            ? throw new UnauthorizedAccessException($"Writing {uri} is not allowed.")
            : inner.WriteAsync(uri, content, contentType, ct);

    public async Task<BlobWriter> OpenWriteAsync(string uri, string contentType, CancellationToken ct)
    {
        if (!Fails(uri))
        {
            return await inner.OpenWriteAsync(uri, contentType, ct);
        }

        return piecesBeforeFailure > 0
            ? new FailingWriter(await inner.OpenWriteAsync(uri, contentType, ct), piecesBeforeFailure)
            : throw new UnauthorizedAccessException($"Writing {uri} is not allowed.");
    }

    public Task<string> UploadFileAsync(string localPath, string container, string blobPath, CancellationToken ct) =>
        inner.UploadFileAsync(localPath, container, blobPath, ct);

    public Task<bool> DeleteAsync(string uri, CancellationToken ct) => inner.DeleteAsync(uri, ct);

    public async IAsyncEnumerable<string> ListAsync(string uriPrefix, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var uri in inner.ListAsync(uriPrefix, ct))
        {
            yield return uri;
        }
    }

    private bool Fails(string uri) => uri.EndsWith("/" + failingFileName, StringComparison.Ordinal);

    /// <summary>The store's own writer, cut off after some pieces; it is disposed, uncommitted, as a failed export leaves it.</summary>
    private sealed class FailingWriter(BlobWriter inner, int pieces) : BlobWriter
    {
        private int _written;

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> content, CancellationToken ct)
        {
            if (++_written > pieces)
            {
                throw new IOException($"Simulated connection lost after {pieces} pieces ({inner.Length} bytes).");
            }

            await inner.WriteAsync(content, ct);
            Length = inner.Length;
        }

        public override Task CommitAsync(CancellationToken ct) => inner.CommitAsync(ct);

        protected override ValueTask DisposeAsyncCore() => inner.DisposeAsync();
    }
}
