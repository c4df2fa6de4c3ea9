using StackExchange.Redis;

namespace EpdBatch.Ingest.Tests.Support;

/// <summary>One connection for the tests' own Redis reads and clean-ups.</summary>
internal static class RedisKeys
{
    private static readonly Lazy<ConnectionMultiplexer> s_redis = new(() => ConnectionMultiplexer.Connect(TestServers.Redis));

    public static async Task DeleteAsync(string prefix)
    {
        var keys = s_redis.Value.GetServers()[0].Keys(pattern: prefix + "*", pageSize: 1000).ToArray();
        if (keys.Length > 0)
        {
            await s_redis.Value.GetDatabase().KeyDeleteAsync(keys);
        }
    }
}
