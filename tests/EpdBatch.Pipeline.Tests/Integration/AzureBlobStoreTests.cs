using System.Text;
using EpdBatch.Pipeline.Storage;
using EpdBatch.Pipeline.Tests.Support;
using EpdBatch.Pipeline.Tests.Unit;
using Microsoft.Extensions.DependencyInjection;

namespace EpdBatch.Pipeline.Tests.Integration;

public class AzureBlobStoreTests
{
    private const string Endpoint = "http://127.0.0.1:10000/devstoreaccount1/";

    private AzureBlobStore _store = null!;
    private string _container = null!;

    [OneTimeSetUp]
    public void CreateStore()
    {
        _store = new AzureBlobStore(TestServers.Blob, Microsoft.Extensions.Options.Options.Create(new EpdStorageOptions { MaxRetries = 1 }), TimeProvider.System);
        _container = TestRun.Name("media");
    }

    [OneTimeTearDown]
    public async Task DeleteContainer() =>
        await new Azure.Storage.Blobs.BlobServiceClient(TestServers.Blob).GetBlobContainerClient(_container).DeleteIfExistsAsync();

    [Test]
    public void Service_uri_is_azurites()
    {
        Assert.That(_store.ServiceUri.AbsoluteUri.TrimEnd('/') + "/", Is.EqualTo(Endpoint));
    }

    [Test]
    public async Task Write_creates_the_container_and_every_uri_form_reads_it_back()
    {
        var content = Encoding.UTF8.GetBytes("a caption");
        await _store.WriteAsync($"az://{_container}/dir/a b.txt", content, "text/plain", CancellationToken.None);

        Assert.That(await _store.ReadAsync($"az://{_container}/dir/a b.txt", CancellationToken.None), Is.EqualTo(content));
        Assert.That(await _store.ReadAsync($"{Endpoint}{_container}/dir/a%20b.txt", CancellationToken.None), Is.EqualTo(content));
        Assert.That(await _store.ReadAsync($"https://devstoreaccount1.blob.core.windows.net/{_container}/dir/a%20b.txt", CancellationToken.None), Is.EqualTo(content));
    }

    [Test]
    public async Task Write_sets_the_content_type_and_replaces()
    {
        var uri = $"{Endpoint}{_container}/results/r.jsonl";
        await _store.WriteAsync(uri, new byte[] { 1 }, "application/x-ndjson", CancellationToken.None);
        await _store.WriteAsync(uri, new byte[] { 2, 3 }, "application/x-ndjson", CancellationToken.None);

        Assert.That(await _store.ReadAsync(uri, CancellationToken.None), Is.EqualTo(new byte[] { 2, 3 }));
        var properties = await new Azure.Storage.Blobs.BlobServiceClient(TestServers.Blob)
            .GetBlobContainerClient(_container).GetBlobClient("results/r.jsonl").GetPropertiesAsync();
        Assert.That(properties.Value.ContentType, Is.EqualTo("application/x-ndjson"));
    }

    [Test]
    public async Task Delete_removes_the_blob_once_and_a_missing_blob_or_container_is_no_error()
    {
        var uri = $"az://{_container}/out/job/errors.partial-0002.jsonl";
        await _store.WriteAsync(uri, new byte[] { 1 }, "application/x-ndjson", CancellationToken.None);

        Assert.That(await _store.DeleteAsync(uri, CancellationToken.None), Is.True);
        Assert.That(await _store.DeleteAsync(uri, CancellationToken.None), Is.False);
        Assert.That(await _store.DeleteAsync($"az://{TestRun.Name("nocontainer")}/x.jsonl", CancellationToken.None), Is.False);
        Assert.ThrowsAsync<BlobNotFoundException>(() => _store.ReadAsync(uri, CancellationToken.None));
    }

    [Test]
    public void Missing_blob_and_missing_container_are_permanent_blob_not_found()
    {
        var blob = Assert.ThrowsAsync<BlobNotFoundException>(() => _store.ReadAsync($"az://{_container}/no/such.jpg", CancellationToken.None));
        Assert.That(blob!.Message, Does.Contain("no/such.jpg"));
        Assert.That(TransientFailures.IsTransient(blob), Is.False);

        var container = Assert.ThrowsAsync<BlobNotFoundException>(() => _store.ReadAsync($"az://{TestRun.Name("nocontainer")}/x.jpg", CancellationToken.None));
        Assert.That(container!.Code, Is.EqualTo("blob_not_found"));
    }

    [TestCase("https://otheraccount.blob.core.windows.net/media/a.jpg")]
    [TestCase("http://127.0.0.1:10001/devstoreaccount1/media/a.jpg")]
    [TestCase("ftp://example/a.jpg")]
    [TestCase("az:///a.jpg")]
    [TestCase("az://media")]
    public void Uris_outside_the_account_are_refused(string uri) =>
        Assert.ThrowsAsync<InvalidBlobUriException>(() => _store.ReadAsync(uri, CancellationToken.None));

    [Test]
    public async Task List_yields_blobs_under_the_prefix_in_the_prefixs_form()
    {
        var listContainer = TestRun.Name("list");
        foreach (var name in new[] { "img/b.jpg", "img/a.jpg", "images/c.jpg", "other/d.jpg" })
        {
            await _store.WriteAsync($"az://{listContainer}/{name}", new byte[] { 1 }, "image/jpeg", CancellationToken.None);
        }

        try
        {
            Assert.That(await LocalFolderStoreTests.ToListAsync(_store.ListAsync($"az://{listContainer}/img/", CancellationToken.None)),
                Is.EqualTo(new[] { $"az://{listContainer}/img/a.jpg", $"az://{listContainer}/img/b.jpg" }));
            Assert.That(await LocalFolderStoreTests.ToListAsync(_store.ListAsync($"{Endpoint}{listContainer}/im", CancellationToken.None)),
                Is.EqualTo(new[] { "images/c.jpg", "img/a.jpg", "img/b.jpg" }.Select(n => $"{Endpoint}{listContainer}/{n}")));
            Assert.That(await LocalFolderStoreTests.ToListAsync(_store.ListAsync($"az://{listContainer}", CancellationToken.None)), Has.Count.EqualTo(4));
            Assert.That(await LocalFolderStoreTests.ToListAsync(_store.ListAsync($"az://{listContainer}/nothing", CancellationToken.None)), Is.Empty);
        }
        finally
        {
            await new Azure.Storage.Blobs.BlobServiceClient(TestServers.Blob).GetBlobContainerClient(listContainer).DeleteIfExistsAsync();
        }
    }

    [Test]
    public void Listing_a_missing_container_is_blob_not_found() =>
        Assert.ThrowsAsync<BlobNotFoundException>(async () =>
            await LocalFolderStoreTests.ToListAsync(_store.ListAsync($"az://{TestRun.Name("nocontainer")}/", CancellationToken.None)));

    [Test]
    public async Task Upload_file_returns_an_endpoint_uri_that_reads_back()
    {
        var source = Path.Combine(Path.GetTempPath(), TestRun.Name("upload") + ".mp4");
        await File.WriteAllBytesAsync(source, new byte[] { 0, 0, 0, 24, 102, 116, 121, 112 });
        try
        {
            var uri = await _store.UploadFileAsync(source, _container, "videos/v.mp4", CancellationToken.None);

            Assert.That(uri, Is.EqualTo($"{Endpoint}{_container}/videos/v.mp4"));
            Assert.That(await _store.ReadAsync(uri, CancellationToken.None), Is.EqualTo(await File.ReadAllBytesAsync(source)));
        }
        finally
        {
            File.Delete(source);
        }
    }

    [Test]
    public async Task Unreachable_endpoint_is_transient_and_retried_before_it_fails()
    {
        var options = Microsoft.Extensions.Options.Options.Create(new EpdStorageOptions { MaxRetries = 2, RetryBaseDelay = TimeSpan.FromMilliseconds(10), BlobTryTimeout = TimeSpan.FromSeconds(5) });
        var store = new AzureBlobStore("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;", options, TimeProvider.System);

        var started = DateTime.UtcNow;
        var e = Assert.CatchAsync(() => store.ReadAsync("az://media/a.jpg", CancellationToken.None));

        Assert.That(TransientFailures.IsTransient(e!), Is.True, e!.ToString());
        Assert.That(DateTime.UtcNow - started, Is.LessThan(TimeSpan.FromSeconds(15)));
        await Task.CompletedTask;
    }

    [Test]
    public void AddEpdStorage_picks_azure_when_blob_is_set_and_local_otherwise()
    {
        var azure = new ServiceCollection().AddEpdStorage(new EpdConnectionOptions { Blob = TestServers.Blob }).BuildServiceProvider();
        var local = new ServiceCollection().AddEpdStorage(new EpdConnectionOptions(), o => o.LocalRoot = Path.GetTempPath()).BuildServiceProvider();

        Assert.That(azure.GetRequiredService<IBlobStore>(), Is.InstanceOf<AzureBlobStore>());
        Assert.That(local.GetRequiredService<IBlobStore>(), Is.InstanceOf<LocalFolderStore>());
        Assert.That(local.GetRequiredService<ITensorStore>(), Is.InstanceOf<InMemoryTensorStore>());
    }
}
