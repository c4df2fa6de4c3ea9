using EpdBatch.Pipeline.Storage;
using EpdBatch.Pipeline.Tests.Unit;

namespace EpdBatch.Pipeline.Tests.Support;

/// <summary>
/// What every <see cref="IBlobStore.OpenWriteAsync"/> must do: a blob written a piece at a time appears whole at the
/// commit and not before, and a writer dropped uncommitted leaves the name as it was.
/// </summary>
public abstract class BlobWriterContract
{
    /// <summary>The store under test; Azure's uploads in blocks of <see cref="BlockSize"/>, so that a test writes many.</summary>
    protected abstract IBlobStore Store { get; }

    protected const int BlockSize = 4096;

    /// <summary>A fresh blob URI in a folder (container) of the test's own, which may not exist yet.</summary>
    protected abstract string NewUri(string name);

    /// <summary>Files the store left beside its blobs (a local store's temporary files); none is expected.</summary>
    protected virtual IEnumerable<string> Leftovers() => [];

    [Test]
    public async Task Pieces_become_one_blob_at_the_commit_and_not_before()
    {
        var uri = NewUri("out/results.jsonl");
        var content = RandomBytes(10 * BlockSize + 123);
        var pieces = new List<int>();

        await using (var writer = await Store.OpenWriteAsync(uri, "application/x-ndjson", CancellationToken.None))
        {
            // Pieces smaller than a block, larger than several, and one exactly a block, in one stream.
            var random = new Random(3);
            for (var at = 0; at < content.Length;)
            {
                var length = Math.Min(content.Length - at, pieces.Count == 3 ? BlockSize : 1 + random.Next(3 * BlockSize));
                await writer.WriteAsync(content.AsMemory(at, length), CancellationToken.None);
                pieces.Add(length);
                at += length;
            }

            Assert.ThrowsAsync<BlobNotFoundException>(() => Store.ReadAsync(uri, CancellationToken.None), "nothing to read before the commit");
            Assert.That(writer.Length, Is.EqualTo(content.Length));
            await writer.CommitAsync(CancellationToken.None);
        }

        Assert.That(await Store.ReadAsync(uri, CancellationToken.None), Is.EqualTo(content));
        Assert.That(await LocalFolderStoreTests.ToListAsync(Store.ListAsync(NewUri("out/"), CancellationToken.None)), Is.EqualTo(new[] { uri }));
        Assert.That(pieces, Has.Count.GreaterThan(5));
        Assert.That(Leftovers(), Is.Empty);
    }

    [Test]
    public async Task A_writer_dropped_before_its_commit_leaves_the_previous_blob_whole()
    {
        var uri = NewUri("out/errors.jsonl");
        var previous = RandomBytes(BlockSize + 7);
        await Store.WriteAsync(uri, previous, "application/x-ndjson", CancellationToken.None);

        await using (var writer = await Store.OpenWriteAsync(uri, "application/x-ndjson", CancellationToken.None))
        {
            await writer.WriteAsync(RandomBytes(5 * BlockSize), CancellationToken.None);
        }

        Assert.That(await Store.ReadAsync(uri, CancellationToken.None), Is.EqualTo(previous));
        Assert.That(Leftovers(), Is.Empty);

        // And where there was none, there is still none.
        var fresh = NewUri("out/never.jsonl");
        await using (var writer = await Store.OpenWriteAsync(fresh, "application/x-ndjson", CancellationToken.None))
        {
            await writer.WriteAsync(RandomBytes(3 * BlockSize), CancellationToken.None);
        }

        Assert.ThrowsAsync<BlobNotFoundException>(() => Store.ReadAsync(fresh, CancellationToken.None));
        Assert.That(await LocalFolderStoreTests.ToListAsync(Store.ListAsync(NewUri("out/"), CancellationToken.None)), Is.EqualTo(new[] { uri }));
    }

    [Test]
    public async Task Nothing_written_commits_an_empty_blob_and_a_later_commit_replaces_it()
    {
        var uri = NewUri("out/empty.jsonl");
        await using (var writer = await Store.OpenWriteAsync(uri, "application/x-ndjson", CancellationToken.None))
        {
            await writer.CommitAsync(CancellationToken.None);
        }

        Assert.That(await Store.ReadAsync(uri, CancellationToken.None), Is.Empty);

        var content = RandomBytes(2 * BlockSize);
        await using (var writer = await Store.OpenWriteAsync(uri, "application/x-ndjson", CancellationToken.None))
        {
            await writer.WriteAsync(content, CancellationToken.None);
            await writer.CommitAsync(CancellationToken.None);
            Assert.ThrowsAsync<ObjectDisposedException>(async () => await writer.WriteAsync(content, CancellationToken.None), "committed once");
        }

        Assert.That(await Store.ReadAsync(uri, CancellationToken.None), Is.EqualTo(content));
    }

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }
}
