using EpdBatch.Pipeline.Storage;
using EpdBatch.Pipeline.Tests.Support;

namespace EpdBatch.Pipeline.Tests.Unit;

/// <summary>
/// Every form of media URI the policy must refuse, in both modes, and the forms it must keep accepting. The Azure
/// cases point the store at an endpoint where nothing listens (port 9): a refusal is decided on the text, so none of
/// them waits on the network.
/// </summary>
public class MediaAccessPolicyTests
{
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private const string Endpoint = "http://127.0.0.1:9/devstoreaccount1";

    private static readonly AzureBlobStore s_store = new(
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Key};BlobEndpoint={Endpoint};",
        Microsoft.Extensions.Options.Options.Create(new EpdStorageOptions { MaxRetries = 0 }),
        TimeProvider.System);

    private static readonly MediaAccessPolicy s_azure = MediaAccessPolicy.For(s_store, new EpdStorageOptions { MediaContainers = "media, epd-input" });

    private string _root = null!;

    [SetUp]
    public void CreateRoot()
    {
        _root = Path.Combine(Path.GetTempPath(), TestRun.Name("media-policy"));
        Directory.CreateDirectory(Path.Combine(_root, "media"));
        File.WriteAllBytes(Path.Combine(_root, "media", "cat.jpg"), [1, 2, 3]);
    }

    [TearDown]
    public void DeleteRoot() => Directory.Delete(_root, recursive: true);

    [TestCase("az://media/cats/1.jpg", "az://media/cats/1.jpg")]
    [TestCase("  az://epd-input/batch/2.png ", "az://epd-input/batch/2.png")]
    [TestCase(Endpoint + "/media/cats/1.jpg", Endpoint + "/media/cats/1.jpg")]
    [TestCase("https://devstoreaccount1.blob.core.windows.net/media/a%20b.jpg", "https://devstoreaccount1.blob.core.windows.net/media/a%20b.jpg")]
    [TestCase("https://DevStoreAccount1.blob.core.windows.net/media/a.jpg", "https://DevStoreAccount1.blob.core.windows.net/media/a.jpg")]
    [TestCase(Endpoint + "/media/a.jpg?sv=2024-11-04&sr=b&sp=r&sig=c2VjcmV0%3D", Endpoint + "/media/a.jpg")]
    [TestCase("https://devstoreaccount1.blob.core.windows.net/media/a.jpg?se=2030-01-01&sig=abc", "https://devstoreaccount1.blob.core.windows.net/media/a.jpg")]
    public void Blob_uris_of_the_account_and_its_allowed_containers_are_accepted(string uri, string normalized)
    {
        Assert.That(s_azure.TryCheckMedia(uri, out var result, out var reason), Is.True, reason);
        Assert.That(result, Is.EqualTo(normalized), "trimmed, with any SAS token dropped");
    }

    [TestCase("http://127.0.0.1:6379/media/a.jpg", "configured storage account")]
    [TestCase("http://127.0.0.1:10000/devstoreaccount1/media/a.jpg", "configured storage account")]
    [TestCase("http://localhost:9/devstoreaccount1/media/a.jpg", "configured storage account")]
    [TestCase("https://127.0.0.1:9/devstoreaccount1/media/a.jpg", "configured storage account")]
    [TestCase("http://169.254.169.254/metadata/instance", "configured storage account")]
    [TestCase("https://example.com/media/a.jpg", "configured storage account")]
    [TestCase("https://other.blob.core.windows.net/media/a.jpg", "configured storage account")]
    [TestCase("https://other.blob.core.windows.net/media/a.jpg?sv=2024-11-04&sig=c2VjcmV0", "configured storage account")]
    [TestCase("https://devstoreaccount1.blob.core.windows.net.evil.example/media/a.jpg", "configured storage account")]
    [TestCase("https://devstoreaccount1.blob.core.windows.net:8443/media/a.jpg", "configured storage account")]
    [TestCase("http://devstoreaccount1.blob.core.windows.net/media/a.jpg", "configured storage account")]
    [TestCase("file:///etc/passwd", "file://")]
    [TestCase("file://server/share/a.jpg", "file://")]
    [TestCase("ftp://devstoreaccount1.blob.core.windows.net/media/a.jpg", "ftp://")]
    [TestCase("/etc/passwd", "not a blob URI")]
    [TestCase("media/a.jpg", "not a blob URI")]
    [TestCase("data:image/png;base64,iVBORw0KGgo=", "inline data")]
    [TestCase("az://media/../secrets/a.jpg", "'..'")]
    [TestCase("az://media/./a.jpg", "'.'")]
    [TestCase("az://media/%2e%2e/secrets/a.jpg", "'..'")]
    [TestCase("az://media/%2E%2E/secrets/a.jpg", "'..'")]
    [TestCase("az://media/%252e%252e/secrets/a.jpg", "'..'")]
    [TestCase("az://media/..%2fsecrets/a.jpg", "'..'")]
    [TestCase(Endpoint + "/media/../secrets/a.jpg", "'..'")]
    [TestCase(Endpoint + "/media/%2e%2e/secrets/a.jpg", "'..'")]
    [TestCase("https://devstoreaccount1.blob.core.windows.net/media/../secrets/a.jpg", "'..'")]
    [TestCase("az://media/a\\..\\b.jpg", "backslashes")]
    [TestCase("az://media/a%5c..%5cb.jpg", "backslashes")]
    [TestCase("az://media/a%00.jpg", "control characters")]
    [TestCase("az://media//a.jpg", "empty path segments")]
    [TestCase("http://user:pass@127.0.0.1:9/devstoreaccount1/media/a.jpg", "user info")]
    [TestCase("http://user@127.0.0.1:9/devstoreaccount1/media/a.jpg", "user info")]
    [TestCase("https://x@devstoreaccount1.blob.core.windows.net/media/a.jpg", "user info")]
    [TestCase(Endpoint + "/media/a.jpg#frag", "fragments")]
    [TestCase("az://media/a.jpg?sig=abc", "no query")]
    [TestCase("az://secrets/a.jpg", "not one media may be read from")]
    [TestCase(Endpoint + "/secrets/a.jpg", "not one media may be read from")]
    [TestCase("az://Media/a.jpg", "not a container name")]
    [TestCase("az://media", "container and a blob")]
    [TestCase("az://media/", "container and a blob")]
    [TestCase("", "empty")]
    public void Refused_forms_fail_with_a_reason(string uri, string because)
    {
        Assert.That(s_azure.TryCheckMedia(uri, out _, out var reason), Is.False);
        Assert.That(reason, Does.Contain(because));
        var e = Assert.Throws<MediaAccessDeniedException>(() => s_azure.CheckMedia(uri));
        Assert.That(e!.Code, Is.EqualTo(MediaAccessDeniedException.ErrorCode));
    }

    [Test]
    public void A_refusal_message_never_carries_the_sas_signature()
    {
        var e = Assert.Throws<MediaAccessDeniedException>(() => s_azure.CheckMedia("https://other.blob.core.windows.net/media/a.jpg?sv=2024-11-04&sig=c2VjcmV0c2lnbmF0dXJl"));
        Assert.That(e!.Message, Does.Not.Contain("c2VjcmV0c2lnbmF0dXJl"));
    }

    [Test]
    public void Outputs_may_go_to_any_container_of_the_account_but_never_elsewhere()
    {
        Assert.That(s_azure.TryCheckAddress("az://results/nightly/job/results.jsonl", out _, out _), Is.True, "the allowlist is for media");
        Assert.That(s_azure.TryCheckAddress("az://results/../media/x", out _, out _), Is.False);
        Assert.That(s_azure.TryCheckAddress("https://other.blob.core.windows.net/results/x", out _, out _), Is.False);
    }

    [Test]
    public void Without_an_allowlist_every_container_of_the_account_is_allowed()
    {
        var open = MediaAccessPolicy.For(s_store);
        Assert.That(open.TryCheckMedia("az://anything/a.jpg", out _, out _), Is.True);
        Assert.That(open.TryCheckMedia("az://anything/../x/a.jpg", out _, out _), Is.False);
    }

    [Test]
    public void The_blob_store_itself_refuses_dot_segments_and_user_info_before_any_request()
    {
        // Port 9 answers nothing: a request would fail as transient after a timeout, not with this exception at once.
        foreach (var uri in new[] { "az://media/../secrets/a.jpg", "az://media/%2e%2e/secrets/a.jpg", Endpoint + "/media/%2E%2E/secrets/a.jpg", "http://u:p@127.0.0.1:9/devstoreaccount1/media/a.jpg" })
        {
            Assert.ThrowsAsync<InvalidBlobUriException>(() => s_store.ReadAsync(uri, CancellationToken.None), uri);
            Assert.ThrowsAsync<InvalidBlobUriException>(() => s_store.WriteAsync(uri, new byte[] { 1 }, "text/plain", CancellationToken.None), uri);
        }
    }

    [Test]
    public void Embedded_media_must_lie_under_the_media_root()
    {
        var store = new LocalFolderStore("/");
        var policy = MediaAccessPolicy.For(store, new EpdStorageOptions { MediaRoot = _root });
        var inside = Path.Combine(_root, "media", "cat.jpg");

        Assert.That(policy.TryCheckMedia(inside, out _, out var reason), Is.True, reason);
        Assert.That(policy.TryCheckMedia(new Uri(inside).AbsoluteUri, out _, out reason), Is.True, reason);
        Assert.That(policy.TryCheckMedia("/etc/passwd", out _, out reason), Is.False);
        Assert.That(reason, Does.Contain("outside the media root"));
        Assert.That(policy.TryCheckMedia(Path.Combine(_root, "media", "..", "..", "x.jpg"), out _, out _), Is.False);
        Assert.That(policy.TryCheckMedia("file:///etc/passwd", out _, out _), Is.False);
        Assert.That(policy.TryCheckMedia("file://server/share/a.jpg", out _, out reason), Is.False);
        Assert.That(reason, Does.Contain("another host"));
        Assert.That(policy.TryCheckMedia("http://127.0.0.1:10000/devstoreaccount1/media/a.jpg", out _, out _), Is.False);
        Assert.That(policy.TryCheckAddress("/tmp/elsewhere/results.jsonl", out _, out reason), Is.True, "outputs are not media: " + reason);
    }

    [Test]
    public void Embedded_media_behind_a_symbolic_link_that_leaves_the_root_are_refused()
    {
        var outside = Path.Combine(Path.GetTempPath(), TestRun.Name("outside"));
        Directory.CreateDirectory(outside);
        try
        {
            File.WriteAllBytes(Path.Combine(outside, "secret.jpg"), [9]);
            File.CreateSymbolicLink(Path.Combine(_root, "media", "file-link.jpg"), Path.Combine(outside, "secret.jpg"));
            Directory.CreateSymbolicLink(Path.Combine(_root, "dir-link"), outside);
            Directory.CreateSymbolicLink(Path.Combine(_root, "relative-link"), Path.Combine("..", Path.GetFileName(outside)));
            File.CreateSymbolicLink(Path.Combine(_root, "media", "inner-link.jpg"), "cat.jpg");
            var policy = MediaAccessPolicy.For(new LocalFolderStore("/"), new EpdStorageOptions { MediaRoot = _root });

            foreach (var path in new[] { "media/file-link.jpg", "dir-link/secret.jpg", "relative-link/secret.jpg" })
            {
                Assert.That(policy.TryCheckMedia(Path.Combine(_root, path), out _, out var reason), Is.False, path);
                Assert.That(reason, Does.Contain("symbolic link"), path);
            }

            Assert.That(policy.TryCheckMedia(Path.Combine(_root, "media", "inner-link.jpg"), out _, out var inner), Is.True, "a link that stays inside: " + inner);

            // The store enforces its own root the same way, for every read and write.
            var store = new LocalFolderStore(_root);
            Assert.ThrowsAsync<InvalidBlobUriException>(() => store.ReadAsync("dir-link/secret.jpg", CancellationToken.None));
            Assert.ThrowsAsync<InvalidBlobUriException>(() => store.ReadAsync("media/file-link.jpg", CancellationToken.None));
            Assert.ThrowsAsync<InvalidBlobUriException>(() => store.WriteAsync("dir-link/new.jpg", new byte[] { 1 }, "image/jpeg", CancellationToken.None));
            Assert.That(File.Exists(Path.Combine(outside, "new.jpg")), Is.False);
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }

    [Test]
    public async Task A_blob_over_the_size_limit_is_refused_from_its_length()
    {
        var store = new LocalFolderStore(_root);
        Assert.That(await store.ReadAsync("media/cat.jpg", maxBytes: 3, CancellationToken.None), Has.Length.EqualTo(3));
        var e = Assert.ThrowsAsync<BlobTooLargeException>(() => store.ReadAsync("media/cat.jpg", maxBytes: 2, CancellationToken.None));
        Assert.That((e!.Code, e.Length, e.MaxBytes), Is.EqualTo((BlobTooLargeException.ErrorCode, 3L, 2L)));
    }

    [TestCase("media,epd-input", 0)]
    [TestCase("Media", 1)]
    [TestCase("ab", 1)]
    [TestCase("media,../x,ok-name", 1)]
    [TestCase("a--b", 1)]
    public void The_container_allowlist_is_validated_at_start(string containers, int failures) =>
        Assert.That(new EpdStorageOptions { MediaContainers = containers }.GetValidationFailures(), Has.Count.EqualTo(failures));

    [Test]
    public void A_media_root_that_does_not_exist_fails_validation() =>
        Assert.That(new EpdStorageOptions { MediaRoot = Path.Combine(_root, "nope") }.GetValidationFailures().Single(), Does.Contain("MediaRoot"));
}
