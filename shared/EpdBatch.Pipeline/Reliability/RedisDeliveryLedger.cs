using System.Globalization;
using StackExchange.Redis;

namespace EpdBatch.Pipeline.Reliability;

/// <summary>
/// <see cref="IDeliveryLedger"/> on Redis: a counter per (stage, job, item) at <c>deliveries:&lt;stage&gt;:&lt;job&gt;:&lt;item&gt;</c>
/// (INCR with a TTL, deleted when the item leaves the stage) and a hash of counters per job at
/// <c>reliability:&lt;job&gt;</c>, kept as long as the stage progress counters.
/// </summary>
public sealed class RedisDeliveryLedger(IConnectionMultiplexer redis) : IDeliveryLedger
{
    private static readonly TimeSpan s_countersTtl = TimeSpan.FromDays(7);

    // One round trip, and the count and the redelivery counter change together.
    private const string CountScript = """
        local n = redis.call('INCR', KEYS[1])
        redis.call('PEXPIRE', KEYS[1], ARGV[1])
        if n > 1 then
          redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
          redis.call('PEXPIRE', KEYS[2], ARGV[3])
        end
        return n
        """;

    private static RedisKey DeliveryKey(string stage, string jobId, int itemIndex) =>
        string.Create(CultureInfo.InvariantCulture, $"deliveries:{stage}:{jobId}:{itemIndex}");

    private static RedisKey CountersKey(string jobId) => "reliability:" + jobId;

    public async Task<long> CountDeliveryAsync(string stage, string jobId, int itemIndex, TimeSpan ttl, CancellationToken ct)
    {
        var result = await redis.GetDatabase().ScriptEvaluateAsync(CountScript,
            [DeliveryKey(stage, jobId, itemIndex), CountersKey(jobId)],
            [(long)ttl.TotalMilliseconds, ReliabilityCounters.Redeliveries(stage), (long)s_countersTtl.TotalMilliseconds]).WaitAsync(ct).ConfigureAwait(false);
        return (long)result;
    }

    public Task ClearDeliveriesAsync(string stage, string jobId, int itemIndex, CancellationToken ct) =>
        redis.GetDatabase().KeyDeleteAsync(DeliveryKey(stage, jobId, itemIndex)).WaitAsync(ct);

    public async Task IncrementAsync(string jobId, string counter, CancellationToken ct)
    {
        var db = redis.GetDatabase();
        await db.HashIncrementAsync(CountersKey(jobId), counter).WaitAsync(ct).ConfigureAwait(false);
        await db.KeyExpireAsync(CountersKey(jobId), s_countersTtl).WaitAsync(ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyDictionary<string, long>> GetCountersAsync(string jobId, CancellationToken ct)
    {
        var entries = await redis.GetDatabase().HashGetAllAsync(CountersKey(jobId)).WaitAsync(ct).ConfigureAwait(false);
        return entries.ToDictionary(e => e.Name.ToString(), e => (long)e.Value, StringComparer.Ordinal);
    }
}
