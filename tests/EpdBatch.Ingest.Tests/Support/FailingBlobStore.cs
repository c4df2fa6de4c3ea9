using System.Runtime.CompilerServices;
using EpdBatch.Pipeline.Storage;

namespace EpdBatch.Ingest.Tests.Support;

/// <summary>A blob store whose writes of one file name fail for good (a permission refused, say), for the export-failure paths.</summary>
public sealed class FailingBlobStore(IBlobStore inner, string failingFileName) : IBlobStore
{
    public Task<byte[]> ReadAsync(string uri, CancellationToken ct) => inner.ReadAsync(uri, ct);

    public Task WriteAsync(string uri, ReadOnlyMemory<byte> content, string contentType, CancellationToken ct) =>
        uri.EndsWith("/" + failingFileName, StringComparison.Ordinal)
            ? throw new UnauthorizedAccessException($"Writing {uri} is not allowed.")
            : inner.WriteAsync(uri, content, contentType, ct);

    public Task<BlobWriter> OpenWriteAsync(string uri, string contentType, CancellationToken ct) =>
        uri.EndsWith("/" + failingFileName, StringComparison.Ordinal)
            ? throw new UnauthorizedAccessException($"Writing {uri} is not allowed.")
            : inner.OpenWriteAsync(uri, contentType, ct);

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
}
