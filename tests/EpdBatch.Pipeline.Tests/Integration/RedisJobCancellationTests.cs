using EpdBatch.Pipeline.Progress;
using EpdBatch.Pipeline.Storage;
using EpdBatch.Pipeline.Tests.Support;

namespace EpdBatch.Pipeline.Tests.Integration;

/// <summary>The cancelled-job marks the stages read, in Redis: seen by another replica within the cache time.</summary>
public class RedisJobCancellationTests
{
    [Test]
    public async Task A_job_marked_in_redis_is_cancelled_for_another_replica_within_the_cache_time()
    {
        await using var redis = StorageServiceCollectionExtensions.ConnectRedis(TestServers.Redis);
        var ingest = new RedisJobCancellation(redis, TimeProvider.System);
        var stage = new RedisJobCancellation(redis, TimeProvider.System);
        var job = TestRun.Name("job");
        try
        {
            Assert.That(await stage.IsCancelledAsync(job, CancellationToken.None), Is.False);
            await ingest.MarkCancelledAsync(job, TimeSpan.FromMinutes(1), CancellationToken.None);

            Assert.That(await ingest.IsCancelledAsync(job, CancellationToken.None), Is.True, "the marking replica knows at once");
            Assert.That(await redis.GetDatabase().KeyTimeToLiveAsync("cancelled:" + job), Is.GreaterThan(TimeSpan.FromSeconds(50)));
            await Task.Delay(RedisJobCancellation.CacheFor + TimeSpan.FromMilliseconds(100));
            Assert.That(await stage.IsCancelledAsync(job, CancellationToken.None), Is.True, "another replica, once its cached answer is old");
            Assert.That(await stage.IsCancelledAsync("job-other", CancellationToken.None), Is.False);
        }
        finally
        {
            await redis.GetDatabase().KeyDeleteAsync("cancelled:" + job);
        }
    }
}
