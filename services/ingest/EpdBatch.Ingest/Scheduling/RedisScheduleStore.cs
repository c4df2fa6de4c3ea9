using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace EpdBatch.Ingest.Scheduling;

/// <summary>
/// Schedules in Redis: <c>schedules</c> (name → definition), <c>schedule:&lt;name&gt;</c> (its progress) and one
/// <c>schedule:&lt;name&gt;:&lt;created&gt;:slot:&lt;time&gt;</c> key per claimed slot (SET NX), so that two replicas that
/// see the same slot due fire it once.
/// </summary>
public sealed class RedisScheduleStore : IScheduleStore
{
    private const string AdvanceScript = """
        local current = tonumber(redis.call('HGET', KEYS[1], 'checked') or '0')
        if tonumber(ARGV[1]) > current then redis.call('HSET', KEYS[1], 'checked', ARGV[1]) end
        return 1
        """;

    private readonly IConnectionMultiplexer _redis;
    private readonly string _prefix;

    public RedisScheduleStore(IConnectionMultiplexer redis, IOptions<IngestOptions> options)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(options);
        _redis = redis;
        _prefix = options.Value.KeyPrefix;
    }

    private IDatabase Db => _redis.GetDatabase();

    private RedisKey SchedulesKey => _prefix + "schedules";

    private RedisKey StateKey(string name) => _prefix + "schedule:" + name;

    public async Task<bool> AddAsync(ScheduleDefinition schedule, bool replace, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var json = JsonSerializer.Serialize(schedule, IngestJson.Store);
        if (replace)
        {
            await Db.HashSetAsync(SchedulesKey, schedule.Name, json);
            await Db.KeyDeleteAsync(StateKey(schedule.Name));
            return true;
        }

        return await Db.HashSetAsync(SchedulesKey, schedule.Name, json, When.NotExists);
    }

    public async Task<bool> RemoveAsync(string name, CancellationToken ct)
    {
        var removed = await Db.HashDeleteAsync(SchedulesKey, name);
        await Db.KeyDeleteAsync(StateKey(name));
        return removed;
    }

    public async Task<ScheduleDefinition?> GetAsync(string name, CancellationToken ct)
    {
        var json = await Db.HashGetAsync(SchedulesKey, name);
        return json.IsNull ? null : JsonSerializer.Deserialize<ScheduleDefinition>(json.ToString(), IngestJson.Store);
    }

    public async Task<IReadOnlyList<ScheduleDefinition>> ListAsync(CancellationToken ct) =>
        (await Db.HashGetAllAsync(SchedulesKey))
            .Select(e => JsonSerializer.Deserialize<ScheduleDefinition>(e.Value.ToString(), IngestJson.Store)!)
            .OrderBy(s => s.Name, StringComparer.Ordinal)
            .ToList();

    public async Task<ScheduleState> GetStateAsync(string name, CancellationToken ct)
    {
        var f = (await Db.HashGetAllAsync(StateKey(name))).ToDictionary(e => e.Name.ToString(), e => e.Value.ToString(), StringComparer.Ordinal);
        DateTimeOffset? Time(string field) =>
            f.TryGetValue(field, out var v) && long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
        return new ScheduleState(Time("checked"), Time("last_slot"), f.GetValueOrDefault("last_job"), Time("last_skipped"), f.GetValueOrDefault("last_skip_reason"));
    }

    public Task<bool> TryClaimSlotAsync(ScheduleDefinition schedule, DateTimeOffset slot, TimeSpan ttl, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var key = string.Create(CultureInfo.InvariantCulture, $"{_prefix}schedule:{schedule.Name}:{schedule.CreatedAt.ToUnixTimeMilliseconds()}:slot:{slot.ToUnixTimeMilliseconds()}");
        return Db.StringSetAsync(key, Environment.MachineName, ttl, When.NotExists);
    }

    public Task AdvanceCheckedAsync(string name, DateTimeOffset upTo, CancellationToken ct) =>
        Db.ScriptEvaluateAsync(AdvanceScript, [StateKey(name)], [upTo.ToUnixTimeMilliseconds()]);

    public Task SetLastRunAsync(string name, DateTimeOffset slot, string jobId, CancellationToken ct) =>
        Db.HashSetAsync(StateKey(name), [new("last_slot", slot.ToUnixTimeMilliseconds()), new("last_job", jobId)]);

    public Task SetLastSkippedAsync(string name, DateTimeOffset slot, string reason, CancellationToken ct) =>
        Db.HashSetAsync(StateKey(name), [new("last_skipped", slot.ToUnixTimeMilliseconds()), new("last_skip_reason", reason)]);
}
