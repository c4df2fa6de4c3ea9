using EpdBatch.Pipeline.Reliability;
using EpdBatch.Pipeline.Storage;
using EpdBatch.Pipeline.Tests.Support;
using StackExchange.Redis;

namespace EpdBatch.Pipeline.Tests.Integration;

public class RedisDeliveryLedgerTests : DeliveryLedgerContract
{
    private ConnectionMultiplexer _redis = null!;
    private RedisDeliveryLedger _ledger = null!;

    protected override IDeliveryLedger Ledger => _ledger;

    [OneTimeSetUp]
    public void Connect()
    {
        _redis = StorageServiceCollectionExtensions.ConnectRedis(TestServers.Redis);
        _ledger = new RedisDeliveryLedger(_redis);
    }

    [OneTimeTearDown]
    public async Task Disconnect() => await _redis.DisposeAsync();

    [TearDown]
    public async Task DropKeys()
    {
        var server = _redis.GetServer(_redis.GetEndPoints()[0]);
        foreach (var key in server.Keys(pattern: $"*{JobId}*"))
        {
            await _redis.GetDatabase().KeyDeleteAsync(key);
        }
    }

    [Test]
    public async Task A_delivery_count_expires_by_its_ttl_and_the_job_counters_are_kept_a_week()
    {
        await _ledger.CountDeliveryAsync("encoder", JobId, 3, TimeSpan.FromSeconds(90), CancellationToken.None);
        await _ledger.CountDeliveryAsync("encoder", JobId, 3, TimeSpan.FromSeconds(90), CancellationToken.None);

        var db = _redis.GetDatabase();
        Assert.That(await db.KeyTimeToLiveAsync($"deliveries:encoder:{JobId}:3"), Is.GreaterThan(TimeSpan.FromSeconds(60)).And.LessThanOrEqualTo(TimeSpan.FromSeconds(90)));
        Assert.That(await db.KeyTimeToLiveAsync($"reliability:{JobId}"), Is.GreaterThan(TimeSpan.FromDays(6)));
    }
}
