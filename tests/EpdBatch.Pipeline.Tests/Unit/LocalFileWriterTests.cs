using EpdBatch.Pipeline.Storage;
using EpdBatch.Pipeline.Tests.Support;

namespace EpdBatch.Pipeline.Tests.Unit;

/// <summary><see cref="BlobWriterContract"/> on a local folder: a temporary file beside the target, renamed at the commit.</summary>
public class LocalFileWriterTests : BlobWriterContract
{
    private string _root = null!;
    private LocalFolderStore _store = null!;

    protected override IBlobStore Store => _store;

    [SetUp]
    public void CreateRoot()
    {
        _root = Path.Combine(Path.GetTempPath(), TestRun.Name("local-writer"));
        Directory.CreateDirectory(_root);
        _store = new LocalFolderStore(_root);
    }

    [TearDown]
    public void DeleteRoot() => Directory.Delete(_root, recursive: true);

    protected override string NewUri(string name) => "az://c/" + name;

    protected override IEnumerable<string> Leftovers() => Directory.GetFiles(_root, "*.tmp", SearchOption.AllDirectories);
}

