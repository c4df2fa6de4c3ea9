using StackExchange.Redis;

namespace EpdBatch.Ingest.Tests.Support;

/// <summary>One connection for the tests' own Redis reads and clean-ups.</summary>
internal static class RedisKeys
{
    private static readonly Lazy<ConnectionMultiplexer> s_redis = new(() => ConnectionMultiplexer.Connect(TestServers.Redis));

    /// <summary>Every value (string, hash field and value, list, set and sorted-set member) of the keys under <paramref name="prefix"/>.</summary>
    public static async Task<List<string>> ValuesAsync(string prefix)
    {
        var db = s_redis.Value.GetDatabase();
        var values = new List<string>();
        foreach (var key in s_redis.Value.GetServers()[0].Keys(pattern: prefix + "*", pageSize: 1000))
        {
            switch (await db.KeyTypeAsync(key))
            {
                case RedisType.String:
                    values.Add((string?)await db.StringGetAsync(key) ?? "");
                    break;
                case RedisType.Hash:
                    values.AddRange((await db.HashGetAllAsync(key)).Select(static e => $"{e.Name}={e.Value}"));
                    break;
                case RedisType.List:
                    values.AddRange((await db.ListRangeAsync(key)).Select(static v => v.ToString()));
                    break;
                case RedisType.Set:
                    values.AddRange((await db.SetMembersAsync(key)).Select(static v => v.ToString()));
                    break;
                case RedisType.SortedSet:
                    values.AddRange((await db.SortedSetRangeByRankAsync(key)).Select(static v => v.ToString()));
                    break;
            }
        }

        return values;
    }

    public static async Task DeleteAsync(string prefix)
    {
        var keys = s_redis.Value.GetServers()[0].Keys(pattern: prefix + "*", pageSize: 1000).ToArray();
        if (keys.Length > 0)
        {
            await s_redis.Value.GetDatabase().KeyDeleteAsync(keys);
        }
    }
}
