using EpdBatch.Pipeline.Storage;
using EpdBatch.Pipeline.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace EpdBatch.Pipeline.Tests.Integration;

public class RedisTensorStoreTests : TensorStoreContract
{
    private const int ChunkSize = 1024;

    private ConnectionMultiplexer _redis = null!;
    private RedisTensorStore _store = null!;

    protected override ITensorStore Store => _store;

    protected override TimeSpan ShortTtl => TimeSpan.FromMilliseconds(600);

    [OneTimeSetUp]
    public void Connect()
    {
        _redis = StorageServiceCollectionExtensions.ConnectRedis(TestServers.Redis);
        _store = new RedisTensorStore(_redis, Microsoft.Extensions.Options.Options.Create(new EpdStorageOptions { TensorChunkSizeBytes = ChunkSize }), TimeProvider.System);
    }

    [OneTimeTearDown]
    public async Task Disconnect() => await _redis.DisposeAsync();

    protected override Task LetExpireAsync() => Task.Delay(TimeSpan.FromMilliseconds(1200));

    [Test]
    public async Task Large_value_is_chunked_with_a_ttl_on_every_part()
    {
        var key = StoreKeys.Kv(JobId, 10);
        var value = RandomBytes(10 * 1024 + 17);

        await _store.SetAsync(key, value, LongTtl, CancellationToken.None);

        Assert.That(await _store.GetAsync(key, CancellationToken.None), Is.EqualTo(value));
        var database = _redis.GetDatabase();
        var parts = Enumerable.Range(0, 11).Select(i => (RedisKey)$"{key}:{i}").Append(key).ToArray();
        foreach (var part in parts)
        {
            var ttl = await database.KeyTimeToLiveAsync(part);
            Assert.That(ttl, Is.Not.Null.And.GreaterThan(TimeSpan.FromMinutes(4)), $"TTL of {part}");
        }

        Assert.That((long)(await database.StringLengthAsync($"{key}:0")), Is.EqualTo(ChunkSize));
        Assert.That(await database.KeyExistsAsync($"{key}:11"), Is.False);
        Assert.That(await _store.CountKeysAsync($"{key}*", CancellationToken.None), Is.EqualTo(12));

        Assert.That(await _store.DeleteAsync(key, CancellationToken.None), Is.True);
        Assert.That(await _store.CountKeysAsync($"{key}*", CancellationToken.None), Is.Zero);
    }

    [Test]
    public async Task Value_of_exactly_one_chunk_is_stored_inline()
    {
        var key = StoreKeys.Kv(JobId, 11);
        var value = RandomBytes(ChunkSize);
        await _store.SetAsync(key, value, LongTtl, CancellationToken.None);

        Assert.That(await _store.GetAsync(key, CancellationToken.None), Is.EqualTo(value));
        Assert.That(await _store.CountKeysAsync($"{key}*", CancellationToken.None), Is.EqualTo(1));
        await _store.DeleteAsync(key, CancellationToken.None);
    }

    [Test]
    public async Task Chunked_value_with_a_missing_chunk_reads_as_missing()
    {
        var key = StoreKeys.Kv(JobId, 12);
        await _store.SetAsync(key, RandomBytes(5 * ChunkSize), LongTtl, CancellationToken.None);

        await _redis.GetDatabase().KeyDeleteAsync($"{key}:3");

        Assert.That(await _store.GetAsync(key, CancellationToken.None), Is.Null);
        Assert.That(await _store.DeleteAsync(key, CancellationToken.None), Is.True);
        Assert.That(await _store.CountKeysAsync($"{key}*", CancellationToken.None), Is.Zero);
    }

    [Test]
    public async Task Chunked_value_expires_whole()
    {
        var key = StoreKeys.Kv(JobId, 13);
        await _store.SetAsync(key, RandomBytes(3 * ChunkSize + 1), ShortTtl, CancellationToken.None);
        Assert.That(await _store.GetAsync(key, CancellationToken.None), Is.Not.Null);

        await LetExpireAsync();

        Assert.That(await _store.GetAsync(key, CancellationToken.None), Is.Null);
        Assert.That(await _store.CountKeysAsync($"{key}*", CancellationToken.None), Is.Zero);
    }

    [Test]
    public async Task Chunks_of_a_write_that_never_got_its_header_are_deleted()
    {
        var key = StoreKeys.Kv(JobId, 14);
        var database = _redis.GetDatabase();
        for (var i = 0; i < 20; i++)
        {
            await database.StringSetAsync($"{key}:{i}", new byte[] { 1 }, LongTtl);
        }

        Assert.That(await _store.DeleteAsync(key, CancellationToken.None), Is.True);
        Assert.That(await _store.CountKeysAsync($"{key}*", CancellationToken.None), Is.Zero);
    }

    [Test]
    public async Task Store_from_AddEpdStorage_shares_one_multiplexer_and_works()
    {
        var services = new ServiceCollection();
        services.AddEpdStorage(new EpdConnectionOptions { Redis = TestServers.Redis });
        await using var provider = services.BuildServiceProvider();
        var store = provider.GetRequiredService<ITensorStore>();
        Assert.That(store, Is.InstanceOf<RedisTensorStore>());

        var key = StoreKeys.Kv(JobId, 15);
        await store.SetAsync(key, new byte[] { 9 }, LongTtl, CancellationToken.None);
        Assert.That(await _store.GetAsync(key, CancellationToken.None), Is.EqualTo(new byte[] { 9 }));
        await store.DeleteAsync(key, CancellationToken.None);
    }
}
