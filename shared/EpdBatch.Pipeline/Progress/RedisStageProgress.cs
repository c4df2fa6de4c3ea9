using StackExchange.Redis;

namespace EpdBatch.Pipeline.Progress;

/// <summary>Stage counters in one Redis hash per job (<c>progress:&lt;job&gt;</c>), shared by every replica.</summary>
public sealed class RedisStageProgress(IConnectionMultiplexer redis) : IStageProgress
{
    private static readonly TimeSpan s_ttl = TimeSpan.FromDays(7);

    private static RedisKey Key(string jobId) => "progress:" + jobId;

    public async Task IncrementAsync(string jobId, string stage, CancellationToken ct)
    {
        var db = redis.GetDatabase();
        await db.HashIncrementAsync(Key(jobId), stage).ConfigureAwait(false);
        await db.KeyExpireAsync(Key(jobId), s_ttl).ConfigureAwait(false);
    }

    public async Task<IReadOnlyDictionary<string, long>> GetAsync(string jobId, CancellationToken ct)
    {
        var entries = await redis.GetDatabase().HashGetAllAsync(Key(jobId)).ConfigureAwait(false);
        return entries.ToDictionary(e => e.Name.ToString(), e => (long)e.Value, StringComparer.Ordinal);
    }

    public Task DeleteAsync(string jobId, CancellationToken ct) => redis.GetDatabase().KeyDeleteAsync(Key(jobId));
}
