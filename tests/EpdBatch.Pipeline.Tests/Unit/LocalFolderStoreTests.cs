using System.Text;
using EpdBatch.Pipeline.Storage;
using EpdBatch.Pipeline.Tests.Support;

namespace EpdBatch.Pipeline.Tests.Unit;

public class LocalFolderStoreTests
{
    private string _root = null!;
    private LocalFolderStore _store = null!;

    [SetUp]
    public void CreateRoot()
    {
        _root = Path.Combine(Path.GetTempPath(), TestRun.Name("local-store"));
        Directory.CreateDirectory(_root);
        _store = new LocalFolderStore(_root);
    }

    [TearDown]
    public void DeleteRoot() => Directory.Delete(_root, recursive: true);

    [Test]
    public async Task Write_then_read_through_every_local_form()
    {
        var content = Encoding.UTF8.GetBytes("{\"custom_id\":\"a\"}\n");
        await _store.WriteAsync("media/in/a.jsonl", content, "application/x-ndjson", CancellationToken.None);

        Assert.That(await _store.ReadAsync("media/in/a.jsonl", CancellationToken.None), Is.EqualTo(content));
        Assert.That(await _store.ReadAsync(Path.Combine(_root, "media", "in", "a.jsonl"), CancellationToken.None), Is.EqualTo(content));
        Assert.That(await _store.ReadAsync(new Uri(Path.Combine(_root, "media/in/a.jsonl")).AbsoluteUri, CancellationToken.None), Is.EqualTo(content));
        Assert.That(await _store.ReadAsync("az://media/in/a.jsonl", CancellationToken.None), Is.EqualTo(content));
        Assert.That(Directory.GetFiles(_root, "*.tmp", SearchOption.AllDirectories), Is.Empty);
    }

    [Test]
    public async Task Delete_removes_the_file_once_and_a_missing_one_is_no_error()
    {
        await _store.WriteAsync("az://out/job/results.partial-0001.jsonl", Encoding.UTF8.GetBytes("{}"), "application/x-ndjson", CancellationToken.None);

        Assert.That(await _store.DeleteAsync("az://out/job/results.partial-0001.jsonl", CancellationToken.None), Is.True);
        Assert.That(await _store.DeleteAsync("az://out/job/results.partial-0001.jsonl", CancellationToken.None), Is.False);
        Assert.That(await _store.DeleteAsync("az://nothing/here.jsonl", CancellationToken.None), Is.False);
        Assert.That(File.Exists(Path.Combine(_root, "out", "job", "results.partial-0001.jsonl")), Is.False);
        Assert.ThrowsAsync<InvalidBlobUriException>(() => _store.DeleteAsync("../outside.txt", CancellationToken.None));
    }

    [Test]
    public void Missing_file_is_a_permanent_blob_not_found()
    {
        var e = Assert.ThrowsAsync<BlobNotFoundException>(() => _store.ReadAsync("media/nope.jpg", CancellationToken.None));
        Assert.That(e!.Code, Is.EqualTo("blob_not_found"));
        Assert.That(e.Message, Does.Contain("media/nope.jpg"));
        Assert.That(e, Is.InstanceOf<PermanentItemException>());
        Assert.That(TransientFailures.IsTransient(e), Is.False);
    }

    [TestCase("../outside.txt")]
    [TestCase("media/../../outside.txt")]
    [TestCase("az://media/../../outside.txt")]
    [TestCase("/etc/passwd")]
    [TestCase("file:///etc/passwd")]
    [TestCase("https://acct.blob.core.windows.net/media/a.jpg")]
    public void Paths_outside_the_root_are_refused(string uri)
    {
        var e = Assert.ThrowsAsync<InvalidBlobUriException>(() => _store.ReadAsync(uri, CancellationToken.None));
        Assert.That(e!.Code, Is.EqualTo("blob_uri_invalid"));
        Assert.ThrowsAsync<InvalidBlobUriException>(() => _store.WriteAsync(uri, new byte[] { 1 }, "text/plain", CancellationToken.None));
    }

    [Test]
    public void Upload_outside_the_root_is_refused() =>
        Assert.ThrowsAsync<InvalidBlobUriException>(() => _store.UploadFileAsync(typeof(LocalFolderStoreTests).Assembly.Location, "..", "x.dll", CancellationToken.None));

    [Test]
    public async Task Dot_dot_that_stays_inside_the_root_is_fine()
    {
        await _store.WriteAsync("media/a/../b.txt", new byte[] { 7 }, "text/plain", CancellationToken.None);
        Assert.That(await _store.ReadAsync("media/b.txt", CancellationToken.None), Is.EqualTo(new byte[] { 7 }));
    }

    [Test]
    public async Task List_yields_matching_files_in_name_order_in_the_callers_form()
    {
        foreach (var name in new[] { "media/img/b.jpg", "media/img/a.jpg", "media/images/c.jpg", "media/other/d.jpg" })
        {
            await _store.WriteAsync(name, new byte[] { 1 }, "image/jpeg", CancellationToken.None);
        }

        Assert.That(await ToListAsync(_store.ListAsync("media/img/", CancellationToken.None)), Is.EqualTo(new[] { "media/img/a.jpg", "media/img/b.jpg" }));
        Assert.That(await ToListAsync(_store.ListAsync("media/im", CancellationToken.None)), Is.EqualTo(new[] { "media/images/c.jpg", "media/img/a.jpg", "media/img/b.jpg" }));
        Assert.That(await ToListAsync(_store.ListAsync("az://media/other", CancellationToken.None)), Is.EqualTo(new[] { "az://media/other/d.jpg" }));
        Assert.That(await ToListAsync(_store.ListAsync(Path.Combine(_root, "media", "other") + "/", CancellationToken.None)), Is.EqualTo(new[] { Path.Combine(_root, "media", "other", "d.jpg") }));
        Assert.That(await ToListAsync(_store.ListAsync("nothing/here/", CancellationToken.None)), Is.Empty);
    }

    [Test]
    public async Task Upload_copies_the_file_and_returns_a_readable_uri()
    {
        var source = Path.Combine(Path.GetTempPath(), TestRun.Name("upload") + ".jpg");
        await File.WriteAllBytesAsync(source, new byte[] { 1, 2, 3 });
        try
        {
            var uri = await _store.UploadFileAsync(source, "media", "up/x.jpg", CancellationToken.None);

            Assert.That(uri, Is.EqualTo(Path.Combine(_root, "media", "up", "x.jpg")));
            Assert.That(await _store.ReadAsync(uri, CancellationToken.None), Is.EqualTo(new byte[] { 1, 2, 3 }));
        }
        finally
        {
            File.Delete(source);
        }
    }

    internal static async Task<List<string>> ToListAsync(IAsyncEnumerable<string> items)
    {
        var list = new List<string>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }
}
