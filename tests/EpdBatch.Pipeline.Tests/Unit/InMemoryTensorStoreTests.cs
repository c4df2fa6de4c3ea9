using EpdBatch.Pipeline.Storage;
using EpdBatch.Pipeline.Tests.Support;

namespace EpdBatch.Pipeline.Tests.Unit;

public class InMemoryTensorStoreTests : TensorStoreContract
{
    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private InMemoryTensorStore _store = null!;

    protected override ITensorStore Store => _store;

    protected override TimeSpan ShortTtl => TimeSpan.FromSeconds(10);

    [SetUp]
    public void CreateStore() => _store = new InMemoryTensorStore(_clock);

    protected override Task LetExpireAsync()
    {
        _clock.Advance(TimeSpan.FromSeconds(10));
        return Task.CompletedTask;
    }

    [Test]
    public async Task Entry_lives_until_the_last_tick_of_its_ttl()
    {
        var key = StoreKeys.Kv(JobId, 7);
        await _store.SetAsync(key, RandomBytes(4), TimeSpan.FromSeconds(10), CancellationToken.None);

        _clock.Advance(TimeSpan.FromSeconds(10) - TimeSpan.FromTicks(1));
        Assert.That(await _store.GetAsync(key, CancellationToken.None), Is.Not.Null);

        _clock.Advance(TimeSpan.FromTicks(1));
        Assert.That(await _store.GetAsync(key, CancellationToken.None), Is.Null);
        Assert.That(await _store.DeleteAsync(key, CancellationToken.None), Is.False, "an expired entry counts as missing");
    }

    [Test]
    public async Task Returned_arrays_are_copies()
    {
        var key = StoreKeys.Kv(JobId, 8);
        await _store.SetAsync(key, new byte[] { 1, 2, 3 }, LongTtl, CancellationToken.None);

        var first = await _store.GetAsync(key, CancellationToken.None);
        first![0] = 99;

        Assert.That(await _store.GetAsync(key, CancellationToken.None), Is.EqualTo(new byte[] { 1, 2, 3 }));
    }
}
