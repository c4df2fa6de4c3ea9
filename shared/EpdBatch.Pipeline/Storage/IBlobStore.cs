namespace EpdBatch.Pipeline.Storage;

/// <summary>
/// Media in, results out. URIs take three forms: <c>https://&lt;account&gt;.blob.core.windows.net/&lt;container&gt;/&lt;path&gt;</c>,
/// the configured endpoint's form (Azurite: <c>http://127.0.0.1:10000/devstoreaccount1/&lt;container&gt;/&lt;path&gt;</c>)
/// and <c>az://&lt;container&gt;/&lt;path&gt;</c> for the configured account. The local-folder store takes local paths.
/// </summary>
public interface IBlobStore
{
    /// <summary>The blob's bytes. A missing blob or container throws <see cref="BlobNotFoundException"/> (permanent); transient failures are retried first.</summary>
    Task<byte[]> ReadAsync(string uri, CancellationToken ct);

    /// <summary>
    /// The blob's bytes, where it has at most <paramref name="maxBytes"/>; a larger one throws
    /// <see cref="BlobTooLargeException"/>. The stores check the stored length before they read a byte, so a huge
    /// blob costs neither memory nor transfer; this default (for wrappers) checks after reading.
    /// </summary>
    async Task<byte[]> ReadAsync(string uri, long maxBytes, CancellationToken ct)
    {
        var content = await ReadAsync(uri, ct).ConfigureAwait(false);
        return content.LongLength <= maxBytes ? content : throw new BlobTooLargeException(uri, content.LongLength, maxBytes);
    }

    /// <summary>Writes (or replaces) a blob, creating its container where missing.</summary>
    Task WriteAsync(string uri, ReadOnlyMemory<byte> content, string contentType, CancellationToken ct);

    /// <summary>
    /// Opens a blob to be written in one pass, a piece at a time, for content too large to hold in memory; the blob
    /// is replaced only at <see cref="BlobWriter.CommitAsync"/> (a block blob's block list committed; a local file
    /// renamed into place), so a writer that fails or dies mid-way leaves no partly written blob behind.
    /// </summary>
    Task<BlobWriter> OpenWriteAsync(string uri, string contentType, CancellationToken ct);

    /// <summary>Uploads a local file to <paramref name="container"/>/<paramref name="blobPath"/>; returns the blob's URI.</summary>
    Task<string> UploadFileAsync(string localPath, string container, string blobPath, CancellationToken ct);

    /// <summary>Deletes a blob; true where it existed. Deleting a missing blob (or one in a missing container) is not an error.</summary>
    Task<bool> DeleteAsync(string uri, CancellationToken ct);

    /// <summary>URIs of the blobs whose URI starts with <paramref name="uriPrefix"/>, in the prefix's form, in name order.</summary>
    IAsyncEnumerable<string> ListAsync(string uriPrefix, CancellationToken ct);
}
