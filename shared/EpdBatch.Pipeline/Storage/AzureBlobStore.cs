using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Options;
using Polly;

namespace EpdBatch.Pipeline.Storage;

/// <summary>
/// <see cref="IBlobStore"/> on Azure Blob Storage (or Azurite), through one <see cref="BlobServiceClient"/> made
/// from the connection string.
/// </summary>
/// <remarks>
/// Retries are Polly's alone (the SDK's own are turned off, so that tries do not multiply): transient failures —
/// no answer, 408, 429, 5xx — are retried with exponential backoff and jitter, each try bounded by
/// <see cref="EpdStorageOptions.BlobTryTimeout"/>. A missing blob or container is permanent at once.
/// </remarks>
public sealed class AzureBlobStore : IBlobStore
{
    private readonly BlobServiceClient _service;
    private readonly ResiliencePipeline _pipeline;
    private readonly int _blockSizeBytes;

    public AzureBlobStore(string connectionString, IOptions<EpdStorageOptions> options, TimeProvider timeProvider)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var clientOptions = new BlobClientOptions();
        clientOptions.Retry.MaxRetries = 0;
        clientOptions.Retry.NetworkTimeout = options.Value.BlobTryTimeout;
        _service = new BlobServiceClient(connectionString, clientOptions);
        _pipeline = StorageResilience.ForBlob(options.Value, timeProvider);
        _blockSizeBytes = options.Value.BlobBlockSizeBytes;
    }

    /// <summary>The endpoint of the configured account, e.g. <c>http://127.0.0.1:10000/devstoreaccount1/</c>.</summary>
    public Uri ServiceUri => _service.Uri;

    /// <summary>The configured account's name, e.g. <c>devstoreaccount1</c>.</summary>
    public string AccountName => _service.AccountName;

    public Task<byte[]> ReadAsync(string uri, CancellationToken ct) => ReadAsync(uri, Array.MaxLength, ct);

    public async Task<byte[]> ReadAsync(string uri, long maxBytes, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        var location = Locate(uri);
        var blob = _service.GetBlobContainerClient(location.Container).GetBlobClient(RequireBlobName(uri, location));
        try
        {
            return await _pipeline.ExecuteAsync(
                static async (state, token) =>
                {
                    var response = await state.Blob.DownloadStreamingAsync(cancellationToken: token);
                    using var download = response.Value;
                    var length = download.Details.ContentLength;
                    if (length > Math.Min(state.MaxBytes, Array.MaxLength))
                    {
                        // Disposing the download closes the response unread: nothing more is transferred.
                        throw new BlobTooLargeException(state.Uri, length, Math.Min(state.MaxBytes, Array.MaxLength));
                    }

                    var content = new byte[length];
                    await download.Content.ReadExactlyAsync(content, token);
                    return content;
                },
                (Blob: blob, Uri: uri, MaxBytes: maxBytes),
                ct);
        }
        catch (RequestFailedException e) when (IsNotFound(e))
        {
            throw new BlobNotFoundException(uri, e);
        }
    }

    public async Task WriteAsync(string uri, ReadOnlyMemory<byte> content, string contentType, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(contentType);
        var location = Locate(uri);
        var container = _service.GetBlobContainerClient(location.Container);
        var blob = container.GetBlobClient(RequireBlobName(uri, location));
        var upload = new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = contentType } };
        await UploadCreatingContainerAsync(
            container,
            (Blob: blob, Content: content, Upload: upload),
            static (state, token) => state.Blob.UploadAsync(BinaryData.FromBytes(state.Content), state.Upload, token),
            ct);
    }

    public Task<BlobWriter> OpenWriteAsync(string uri, string contentType, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(contentType);
        var location = Locate(uri);
        var container = _service.GetBlobContainerClient(location.Container);
        var blob = container.GetBlockBlobClient(RequireBlobName(uri, location));
        return Task.FromResult<BlobWriter>(new BlockBlobWriter(this, container, blob, contentType, _blockSizeBytes));
    }

    public async Task<string> UploadFileAsync(string localPath, string container, string blobPath, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(localPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(container);
        ArgumentException.ThrowIfNullOrWhiteSpace(blobPath);
        if (!File.Exists(localPath))
        {
            throw new FileNotFoundException($"No file to upload at {localPath}.", localPath);
        }

        var containerClient = _service.GetBlobContainerClient(container);
        var blob = containerClient.GetBlobClient(blobPath.TrimStart('/'));
        var upload = new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = ContentTypes.ForPath(localPath) } };
        await UploadCreatingContainerAsync(
            containerClient,
            (Blob: blob, Path: localPath, Upload: upload),
            static (state, token) => state.Blob.UploadAsync(state.Path, state.Upload, token),
            ct);
        return blob.Uri.AbsoluteUri;
    }

    public async Task<bool> DeleteAsync(string uri, CancellationToken ct)
    {
        var location = Locate(uri);
        var blob = _service.GetBlobContainerClient(location.Container).GetBlobClient(RequireBlobName(uri, location));
        try
        {
            return await _pipeline.ExecuteAsync(
                static async (blob, token) => (await blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: token)).Value,
                blob,
                ct);
        }
        catch (RequestFailedException e) when (IsNotFound(e))
        {
            // The container is gone: so is the blob.
            return false;
        }
    }

    public async IAsyncEnumerable<string> ListAsync(string uriPrefix, [EnumeratorCancellation] CancellationToken ct)
    {
        var location = Locate(uriPrefix);
        var container = _service.GetBlobContainerClient(location.Container);
        var options = new GetBlobsOptions { Prefix = location.BlobName.Length == 0 ? null : location.BlobName };
        string? continuation = null;
        do
        {
            Page<BlobItem> page;
            try
            {
                page = await _pipeline.ExecuteAsync(
                    static async (state, token) =>
                    {
                        await foreach (var p in state.Container.GetBlobsAsync(state.Options, token).AsPages(state.Continuation, 1000).WithCancellation(token))
                        {
                            return p;
                        }

                        throw new InvalidOperationException("The blob listing returned no page.");
                    },
                    (Container: container, Options: options, Continuation: continuation),
                    ct);
            }
            catch (RequestFailedException e) when (IsNotFound(e))
            {
                throw new BlobNotFoundException(uriPrefix, e);
            }

            foreach (var item in page.Values)
            {
                yield return location.UriOf(item.Name);
            }

            continuation = string.IsNullOrEmpty(page.ContinuationToken) ? null : page.ContinuationToken;
        }
        while (continuation is not null);
    }

    private static bool IsNotFound(RequestFailedException e) =>
        e.Status == 404 || e.ErrorCode is "BlobNotFound" or "ContainerNotFound";

    private static string RequireBlobName(string uri, BlobLocation location) =>
        location.BlobName.Length > 0 ? location.BlobName : throw new InvalidBlobUriException(uri, "it names a container, not a blob");

    private BlobLocation Locate(string uri) => BlobLocation.Parse(uri, _service.Uri, _service.AccountName);

    /// <summary>Runs <paramref name="upload"/> through the retry pipeline, creating the container and trying again where it is missing.</summary>
    internal async Task UploadCreatingContainerAsync<TState>(
        BlobContainerClient container,
        TState state,
        Func<TState, CancellationToken, Task> upload,
        CancellationToken ct)
    {
        var attempt = (Container: container, State: state, Upload: upload);
        await _pipeline.ExecuteAsync(
            static async (a, token) =>
            {
                try
                {
                    await a.Upload(a.State, token);
                }
                catch (RequestFailedException e) when (e.ErrorCode == "ContainerNotFound")
                {
                    // The first write to a new container creates it; later writes skip this round trip.
                    await a.Container.CreateIfNotExistsAsync(cancellationToken: token);
                    await a.Upload(a.State, token);
                }
            },
            attempt,
            ct);
    }
}
