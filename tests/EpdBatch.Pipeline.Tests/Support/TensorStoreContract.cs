using EpdBatch.Pipeline.Storage;

namespace EpdBatch.Pipeline.Tests.Support;

/// <summary>What every <see cref="ITensorStore"/> must do; each implementation's fixture derives from this.</summary>
public abstract class TensorStoreContract
{
    protected static readonly TimeSpan LongTtl = TimeSpan.FromMinutes(5);

    protected abstract ITensorStore Store { get; }

    /// <summary>The TTL to use for an entry that <see cref="LetExpireAsync"/> will expire.</summary>
    protected abstract TimeSpan ShortTtl { get; }

    /// <summary>Lets time pass until entries written with <see cref="ShortTtl"/> are gone.</summary>
    protected abstract Task LetExpireAsync();

    protected string JobId { get; private set; } = "";

    [SetUp]
    public void NewJob() => JobId = TestRun.Name("job");

    [Test]
    public async Task Set_then_get_returns_the_same_bytes()
    {
        var key = StoreKeys.Multimodal(JobId, 0, 0);
        var value = RandomBytes(777);

        await Store.SetAsync(key, value, LongTtl, CancellationToken.None);

        Assert.That(await Store.GetAsync(key, CancellationToken.None), Is.EqualTo(value));
    }

    [Test]
    public async Task Empty_value_round_trips()
    {
        var key = StoreKeys.Kv(JobId, 1);
        await Store.SetAsync(key, ReadOnlyMemory<byte>.Empty, LongTtl, CancellationToken.None);
        Assert.That(await Store.GetAsync(key, CancellationToken.None), Is.Empty);
    }

    [Test]
    public async Task Missing_key_gives_null()
    {
        Assert.That(await Store.GetAsync(StoreKeys.Kv(JobId, 99), CancellationToken.None), Is.Null);
        Assert.That(await Store.DeleteAsync(StoreKeys.Kv(JobId, 99), CancellationToken.None), Is.False);
    }

    [Test]
    public async Task Set_replaces_and_caller_buffer_is_not_aliased()
    {
        var key = StoreKeys.Kv(JobId, 2);
        var buffer = RandomBytes(300);
        var original = buffer.ToArray();
        await Store.SetAsync(key, buffer, LongTtl, CancellationToken.None);
        buffer.AsSpan().Clear();
        Assert.That(await Store.GetAsync(key, CancellationToken.None), Is.EqualTo(original));

        var second = RandomBytes(10);
        await Store.SetAsync(key, second, LongTtl, CancellationToken.None);
        Assert.That(await Store.GetAsync(key, CancellationToken.None), Is.EqualTo(second));
    }

    [Test]
    public async Task Delete_removes_the_value_and_leaves_nothing_behind()
    {
        var key = StoreKeys.Kv(JobId, 3);
        await Store.SetAsync(key, RandomBytes(100), LongTtl, CancellationToken.None);
        Assert.That(await Store.CountKeysAsync(StoreKeys.KvPattern(JobId), CancellationToken.None), Is.EqualTo(1));

        Assert.That(await Store.DeleteAsync(key, CancellationToken.None), Is.True);

        Assert.That(await Store.GetAsync(key, CancellationToken.None), Is.Null);
        Assert.That(await Store.CountKeysAsync(StoreKeys.KvPattern(JobId), CancellationToken.None), Is.Zero);
        Assert.That(await Store.DeleteAsync(key, CancellationToken.None), Is.False);
    }

    [Test]
    public async Task Entries_expire_after_their_ttl()
    {
        var shortKey = StoreKeys.Multimodal(JobId, 4, 0);
        var longKey = StoreKeys.Multimodal(JobId, 4, 1);
        await Store.SetAsync(shortKey, RandomBytes(64), ShortTtl, CancellationToken.None);
        await Store.SetAsync(longKey, RandomBytes(64), LongTtl, CancellationToken.None);
        Assert.That(await Store.GetAsync(shortKey, CancellationToken.None), Is.Not.Null);

        await LetExpireAsync();

        Assert.That(await Store.GetAsync(shortKey, CancellationToken.None), Is.Null);
        Assert.That(await Store.GetAsync(longKey, CancellationToken.None), Is.Not.Null);
        Assert.That(await Store.CountKeysAsync(StoreKeys.MultimodalPattern(JobId), CancellationToken.None), Is.EqualTo(1));
    }

    [Test]
    public async Task Count_matches_glob_patterns_per_job()
    {
        for (var item = 0; item < 3; item++)
        {
            await Store.SetAsync(StoreKeys.Multimodal(JobId, item, 0), RandomBytes(8), LongTtl, CancellationToken.None);
            await Store.SetAsync(StoreKeys.Kv(JobId, item), RandomBytes(8), LongTtl, CancellationToken.None);
        }

        var otherJob = TestRun.Name("other");
        await Store.SetAsync(StoreKeys.Kv(otherJob, 0), RandomBytes(8), LongTtl, CancellationToken.None);

        Assert.That(await Store.CountKeysAsync(StoreKeys.MultimodalPattern(JobId), CancellationToken.None), Is.EqualTo(3));
        Assert.That(await Store.CountKeysAsync(StoreKeys.KvPattern(JobId), CancellationToken.None), Is.EqualTo(3));
        Assert.That(await Store.CountKeysAsync($"kv:{JobId}:[01]", CancellationToken.None), Is.EqualTo(2));
        Assert.That(await Store.CountKeysAsync($"kv:{JobId}:?", CancellationToken.None), Is.EqualTo(3));

        for (var item = 0; item < 3; item++)
        {
            await Store.DeleteAsync(StoreKeys.Multimodal(JobId, item, 0), CancellationToken.None);
            await Store.DeleteAsync(StoreKeys.Kv(JobId, item), CancellationToken.None);
        }

        await Store.DeleteAsync(StoreKeys.Kv(otherJob, 0), CancellationToken.None);
        Assert.That(await Store.CountKeysAsync($"*:{JobId}:*", CancellationToken.None), Is.Zero);
    }

    [Test]
    public void Non_positive_ttl_is_refused() =>
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.SetAsync(StoreKeys.Kv(JobId, 5), RandomBytes(1), TimeSpan.Zero, CancellationToken.None));

    protected static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }
}
