using EpdBatch.Pipeline.Storage;
using EpdBatch.Pipeline.Tests.Support;

namespace EpdBatch.Pipeline.Tests.Integration;

/// <summary><see cref="BlobWriterContract"/> on Azurite: blocks staged as they fill, the list committed at the end.</summary>
public class AzureBlobWriterTests : BlobWriterContract
{
    private readonly List<string> _containers = [];
    private AzureBlobStore _store = null!;

    protected override IBlobStore Store => _store;

    [SetUp]
    public void CreateStore()
    {
        _store = new AzureBlobStore(TestServers.Blob, Microsoft.Extensions.Options.Options.Create(new EpdStorageOptions { MaxRetries = 1, BlobBlockSizeBytes = BlockSize }), TimeProvider.System);
        _containers.Add(TestRun.Name("writer"));
    }

    [TearDown]
    public async Task DeleteContainers()
    {
        foreach (var container in _containers)
        {
            await new Azure.Storage.Blobs.BlobServiceClient(TestServers.Blob).GetBlobContainerClient(container).DeleteIfExistsAsync();
        }
    }

    protected override string NewUri(string name) => $"az://{_containers[^1]}/{name}";

    [Test]
    public async Task The_commit_sets_the_content_type_and_the_blob_is_made_of_blocks()
    {
        var uri = NewUri("r.jsonl");
        await using (var writer = await _store.OpenWriteAsync(uri, "application/x-ndjson", CancellationToken.None))
        {
            await writer.WriteAsync(new byte[(3 * BlockSize) + 1], CancellationToken.None);
            await writer.CommitAsync(CancellationToken.None);
        }

        var blob = new Azure.Storage.Blobs.BlobServiceClient(TestServers.Blob).GetBlobContainerClient(_containers[^1]);
        var properties = await blob.GetBlobClient("r.jsonl").GetPropertiesAsync();
        var blocks = await Azure.Storage.Blobs.Specialized.SpecializedBlobExtensions.GetBlockBlobClient(blob, "r.jsonl").GetBlockListAsync();
        Assert.That(properties.Value.ContentType, Is.EqualTo("application/x-ndjson"));
        Assert.That(blocks.Value.CommittedBlocks.Select(b => b.SizeLong), Is.EqualTo(new long[] { BlockSize, BlockSize, BlockSize, 1 }));
    }
}

