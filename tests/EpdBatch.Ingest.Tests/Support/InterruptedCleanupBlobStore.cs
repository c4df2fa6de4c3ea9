using System.Runtime.CompilerServices;
using System.Text;
using EpdBatch.Pipeline.Storage;

namespace EpdBatch.Ingest.Tests.Support;

/// <summary>
/// A blob store whose first delete fails as a crash would leave it: the export has written the final files and
/// deleted no part yet. At that moment it keeps a copy of every file of the folder (<see cref="AtInterruption"/>);
/// later deletes go through, as they would on the replica that carries on.
/// </summary>
public sealed class InterruptedCleanupBlobStore(IBlobStore inner) : IBlobStore
{
    private int _deletes;

    /// <summary>File name → content of the folder of the first deleted blob, when that delete was refused.</summary>
    public TaskCompletionSource<IReadOnlyDictionary<string, string>> AtInterruption { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<byte[]> ReadAsync(string uri, CancellationToken ct) => inner.ReadAsync(uri, ct);

    public Task WriteAsync(string uri, ReadOnlyMemory<byte> content, string contentType, CancellationToken ct) => inner.WriteAsync(uri, content, contentType, ct);

    public Task<BlobWriter> OpenWriteAsync(string uri, string contentType, CancellationToken ct) => inner.OpenWriteAsync(uri, contentType, ct);

    public Task<string> UploadFileAsync(string localPath, string container, string blobPath, CancellationToken ct) =>
        inner.UploadFileAsync(localPath, container, blobPath, ct);

    public async Task<bool> DeleteAsync(string uri, CancellationToken ct)
    {
        if (Interlocked.Increment(ref _deletes) > 1)
        {
            return await inner.DeleteAsync(uri, ct);
        }

        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (var file in inner.ListAsync(uri[..(uri.LastIndexOf('/') + 1)], ct))
        {
            files[file[(file.LastIndexOf('/') + 1)..]] = Encoding.UTF8.GetString(await inner.ReadAsync(file, ct));
        }

        AtInterruption.TrySetResult(files);
        // An I/O failure is transient: the driver gives up this pass and the job is picked up again, as after a crash.
        throw new IOException($"Simulated crash before deleting {uri}.");
    }

    public async IAsyncEnumerable<string> ListAsync(string uriPrefix, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var uri in inner.ListAsync(uriPrefix, ct))
        {
            yield return uri;
        }
    }
}
