using System.Collections.Concurrent;
using StackExchange.Redis;

namespace EpdBatch.Pipeline.Progress;

/// <summary>
/// Cancelled jobs in Redis (<c>cancelled:&lt;job&gt;</c>, beside the stage counters' <c>progress:&lt;job&gt;</c>), shared
/// by every replica. Each process caches a "not cancelled" for <see cref="CacheFor"/> and a "cancelled" for good, so
/// a stage asks Redis about a job at most once per <see cref="CacheFor"/> however many of its items it handles.
/// </summary>
public sealed class RedisJobCancellation(IConnectionMultiplexer redis, TimeProvider time) : IJobCancellation
{
    /// <summary>How long a "not cancelled" answer is reused: a cancel reaches every stage within this.</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(1);

    // A worker sees a few jobs a night; expired answers are swept once the cache holds more than this.
    private const int SweepAbove = 1024;

    private readonly ConcurrentDictionary<string, (bool Cancelled, DateTimeOffset CheckedAt)> _answers = new(StringComparer.Ordinal);

    private static RedisKey Key(string jobId) => "cancelled:" + jobId;

    public async Task MarkCancelledAsync(string jobId, TimeSpan ttl, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(jobId);
        await redis.GetDatabase().StringSetAsync(Key(jobId), 1, ttl).ConfigureAwait(false);
        _answers[jobId] = (true, time.GetUtcNow());
    }

    public async Task<bool> IsCancelledAsync(string jobId, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_answers.TryGetValue(jobId, out var answer) && (answer.Cancelled || now - answer.CheckedAt < CacheFor))
        {
            return answer.Cancelled;
        }

        var cancelled = await redis.GetDatabase().KeyExistsAsync(Key(jobId)).ConfigureAwait(false);
        if (_answers.Count > SweepAbove)
        {
            foreach (var (id, old) in _answers)
            {
                if (now - old.CheckedAt > TimeSpan.FromMinutes(10))
                {
                    _answers.TryRemove(id, out _);
                }
            }
        }

        _answers[jobId] = (cancelled, now);
        return cancelled;
    }
}
