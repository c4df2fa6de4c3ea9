using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EpdBatch.Ingest.Manifest;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace EpdBatch.Ingest.Jobs;

/// <summary>
/// <see cref="IJobStore"/> in Redis, shared by every ingest replica and surviving any restart. Per job (under
/// <see cref="IngestOptions.KeyPrefix"/>): a hash <c>job:&lt;id&gt;</c> with the state, its timestamps and the counts;
/// <c>job:&lt;id&gt;:items</c> (index → item) and <c>:order</c> (indices in manifest order); <c>:out</c> (index →
/// outcome, written with HSETNX so that the first terminal state wins) and <c>:log</c> (indices in the order they
/// were recorded, for the part files); <c>:lease</c>. Globally: <c>jobs</c> (sorted by creation), <c>jobs:active</c>
/// and <c>idem:&lt;sha256 of key&gt;</c>. Every multi-key change is one Lua script, so a crash never leaves half of one.
/// </summary>
public sealed class RedisJobStore : IJobStore
{
    private const string CreateScript = """
        local existing = redis.call('GET', KEYS[1])
        if existing and redis.call('EXISTS', ARGV[3] .. existing) == 1 then return existing end
        redis.call('SET', KEYS[1], ARGV[1])
        redis.call('HSET', KEYS[2], unpack(ARGV, 4))
        redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
        redis.call('SADD', KEYS[4], ARGV[1])
        return ARGV[1]
        """;

    private const string TransitionScript = """
        if redis.call('HGET', KEYS[1], 'state') ~= ARGV[1] then return 0 end
        redis.call('HSET', KEYS[1], 'state', ARGV[2], 'at:' .. ARGV[2], ARGV[3])
        if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'error_code', ARGV[4], 'error_message', ARGV[5]) end
        return 1
        """;

    // Returns 1 recorded, 0 duplicate, -1 unknown job, -2 unknown item.
    private const string RecordScript = """
        if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
        if ARGV[3] ~= 'i' and redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return -2 end
        if redis.call('HSETNX', KEYS[3], ARGV[1], ARGV[2]) == 0 then return 0 end
        redis.call('RPUSH', KEYS[4], ARGV[1])
        if ARGV[3] == 'c' then
          redis.call('HINCRBY', KEYS[1], 'completed', 1)
          redis.call('HINCRBY', KEYS[1], 'prompt_tokens', ARGV[4])
          redis.call('HINCRBY', KEYS[1], 'completion_tokens', ARGV[5])
        else
          redis.call('HINCRBY', KEYS[1], 'failed', 1)
          if ARGV[3] == 'i' then redis.call('HINCRBY', KEYS[1], 'invalid', 1) end
        end
        return 1
        """;

    private const string FlushScript = """
        if tonumber(redis.call('HGET', KEYS[1], 'flushed') or '0') ~= tonumber(ARGV[1]) then return 0 end
        redis.call('HSET', KEYS[1], 'flushed', ARGV[2])
        redis.call('HINCRBY', KEYS[1], 'parts', 1)
        return 1
        """;

    private const string LeaseScript = """
        local owner = redis.call('GET', KEYS[1])
        if owner == false or owner == ARGV[1] then
          redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
          return 1
        end
        return 0
        """;

    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    private readonly IConnectionMultiplexer _redis;
    private readonly string _prefix;

    public RedisJobStore(IConnectionMultiplexer redis, IOptions<IngestOptions> options)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(options);
        _redis = redis;
        _prefix = options.Value.KeyPrefix;
    }

    private IDatabase Db => _redis.GetDatabase();

    private RedisKey JobKey(string id) => _prefix + "job:" + id;

    private RedisKey ItemsKey(string id) => _prefix + "job:" + id + ":items";

    private RedisKey OrderKey(string id) => _prefix + "job:" + id + ":order";

    private RedisKey OutcomesKey(string id) => _prefix + "job:" + id + ":out";

    private RedisKey LogKey(string id) => _prefix + "job:" + id + ":log";

    private RedisKey LeaseKey(string id) => _prefix + "job:" + id + ":lease";

    private RedisKey JobsKey => _prefix + "jobs";

    private RedisKey ActiveKey => _prefix + "jobs:active";

    private RedisKey IdempotencyKey(string key) => _prefix + "idem:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public async Task<JobCreation> CreateAsync(JobRecord job, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(job);
        var key = job.IdempotencyKey ?? throw new ArgumentException("A job needs an idempotency key (given or derived).", nameof(job));
        var args = new List<RedisValue> { job.Id, job.CreatedAt.ToUnixTimeMilliseconds(), _prefix + "job:" };
        foreach (var (field, value) in ToFields(job))
        {
            args.Add(field);
            args.Add(value);
        }

        var winner = (string)(await Db.ScriptEvaluateAsync(CreateScript, [IdempotencyKey(key), JobKey(job.Id), JobsKey, ActiveKey], [.. args]))!;
        if (winner == job.Id)
        {
            return new JobCreation(job, true);
        }

        // The key's job may retire between the script and this read; then the caller simply tries again.
        var existing = await GetAsync(winner, ct) ?? throw new InvalidOperationException($"Job {winner} of idempotency key '{key}' vanished while it was read; submit again.");
        return new JobCreation(existing, false);
    }

    public async Task<JobRecord?> GetAsync(string jobId, CancellationToken ct)
    {
        var entries = await Db.HashGetAllAsync(JobKey(jobId));
        return entries.Length == 0 ? null : FromFields(entries.ToDictionary(e => e.Name.ToString(), e => e.Value.ToString(), StringComparer.Ordinal));
    }

    public async Task<IReadOnlyList<JobRecord>> ListAsync(int limit, CancellationToken ct)
    {
        var ids = await Db.SortedSetRangeByRankAsync(JobsKey, 0, Math.Max(0, limit - 1), Order.Descending);
        var jobs = await Task.WhenAll(ids.Select(id => GetAsync(id.ToString(), ct)));
        var gone = ids.Where((_, i) => jobs[i] is null).ToArray();
        if (gone.Length > 0)
        {
            // Jobs past their retention: their hashes expired, their index entries go now.
            await Db.SortedSetRemoveAsync(JobsKey, gone);
        }

        return jobs.OfType<JobRecord>().ToList();
    }

    public async Task<IReadOnlyList<string>> ListActiveAsync(CancellationToken ct) =>
        (await Db.SetMembersAsync(ActiveKey)).Select(v => v.ToString()).Order(StringComparer.Ordinal).ToList();

    public async Task<bool> TryTransitionAsync(string jobId, JobState from, JobState to, DateTimeOffset at, string? errorCode, string? errorMessage, CancellationToken ct)
    {
        if (!JobStateMachine.CanMove(from, to))
        {
            throw new InvalidOperationException($"A job cannot move from {JobStateMachine.Name(from)} to {JobStateMachine.Name(to)}.");
        }

        var moved = await Db.ScriptEvaluateAsync(TransitionScript, [JobKey(jobId)],
            [JobStateMachine.Name(from), JobStateMachine.Name(to), at.ToUnixTimeMilliseconds(), errorCode ?? "", errorMessage ?? ""]);
        return (int)moved == 1;
    }

    public Task SetRetriedByAsync(string jobId, string retryJobId, CancellationToken ct) =>
        Db.HashSetAsync(JobKey(jobId), "retried_by", retryJobId);

    public async Task ResetItemsAsync(string jobId, CancellationToken ct)
    {
        var transaction = Db.CreateTransaction();
        _ = transaction.KeyDeleteAsync([ItemsKey(jobId), OrderKey(jobId)]);
        _ = transaction.HashSetAsync(JobKey(jobId), [new HashEntry("published", 0), new HashEntry("items", 0)]);
        await transaction.ExecuteAsync();
    }

    public async Task AddItemsAsync(string jobId, IReadOnlyList<ManifestItem> items, CancellationToken ct)
    {
        if (items.Count == 0)
        {
            return;
        }

        var transaction = Db.CreateTransaction();
        _ = transaction.HashSetAsync(ItemsKey(jobId), items.Select(i => new HashEntry(i.Index, JsonSerializer.Serialize(i, IngestJson.Store))).ToArray());
        _ = transaction.ListRightPushAsync(OrderKey(jobId), items.Select(i => (RedisValue)i.Index).ToArray());
        _ = transaction.HashIncrementAsync(JobKey(jobId), "items", items.Count);
        await transaction.ExecuteAsync();
    }

    public Task SetValidatedAsync(string jobId, int items, int total, string? format, CancellationToken ct) =>
        Db.HashSetAsync(JobKey(jobId), [new("validated", 1), new("items", items), new("total", total), new("format", format ?? "")]);

    public async Task<IReadOnlyList<ManifestItem>> GetItemsAsync(string jobId, int start, int count, CancellationToken ct)
    {
        if (count <= 0)
        {
            return [];
        }

        var indices = await Db.ListRangeAsync(OrderKey(jobId), start, start + count - 1);
        if (indices.Length == 0)
        {
            return [];
        }

        var values = await Db.HashGetAsync(ItemsKey(jobId), indices);
        return values.Select(v => JsonSerializer.Deserialize<ManifestItem>(v.ToString(), IngestJson.Store)!).ToList();
    }

    public Task SetPublishedAsync(string jobId, int published, CancellationToken ct) =>
        Db.HashSetAsync(JobKey(jobId), "published", published);

    public async Task<OutcomeRecording> RecordOutcomeAsync(string jobId, ItemOutcome outcome, bool invalidLine, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var kind = invalidLine ? "i" : outcome.Completed ? "c" : "f";
        var result = (int)await Db.ScriptEvaluateAsync(RecordScript,
            [JobKey(jobId), ItemsKey(jobId), OutcomesKey(jobId), LogKey(jobId)],
            [outcome.Index, JsonSerializer.Serialize(outcome, IngestJson.Store), kind, outcome.Result?.PromptTokens ?? 0, outcome.Result?.Tokens.Count ?? 0]);
        return result switch
        {
            1 => OutcomeRecording.Recorded,
            0 => OutcomeRecording.Duplicate,
            -1 => OutcomeRecording.UnknownJob,
            _ => OutcomeRecording.UnknownItem,
        };
    }

    public Task<long> CountOutcomesAsync(string jobId, CancellationToken ct) => Db.ListLengthAsync(LogKey(jobId));

    public async Task<IReadOnlyList<ItemOutcome>> ReadOutcomeLogAsync(string jobId, long start, int count, CancellationToken ct)
    {
        if (count <= 0)
        {
            return [];
        }

        var indices = await Db.ListRangeAsync(LogKey(jobId), start, start + count - 1);
        if (indices.Length == 0)
        {
            return [];
        }

        var values = await Db.HashGetAsync(OutcomesKey(jobId), indices);
        return values.Select(v => JsonSerializer.Deserialize<ItemOutcome>(v.ToString(), IngestJson.Store)!).ToList();
    }

    public async IAsyncEnumerable<IReadOnlyList<ItemOutcome>> ReadOutcomePagesAsync(string jobId, int pageSize, [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);

        // The hash is keyed by index but keeps no order. The log holds the same indices (one script writes both), a
        // few bytes each: one pass over it gives their count and the highest, and the hash is then read a window of
        // consecutive indices at a time, one HMGET a page. An index without an outcome (an item still running, or
        // one that a retry job does not hold) comes back empty and costs a few bytes.
        var (count, highest) = await ScanLogAsync(jobId, ct);
        var fields = new RedisValue[(int)Math.Min(pageSize, highest + 1L)];
        long seen = 0;
        for (long start = 0; start <= highest && seen < count; start += pageSize)
        {
            ct.ThrowIfCancellationRequested();
            var window = (int)Math.Min(pageSize, highest - start + 1);
            if (window < fields.Length)
            {
                fields = new RedisValue[window];
            }

            for (var i = 0; i < window; i++)
            {
                fields[i] = start + i;
            }

            var values = await Db.HashGetAsync(OutcomesKey(jobId), fields);
            var page = new List<ItemOutcome>(window);
            foreach (var value in values)
            {
                if (!value.IsNull)
                {
                    page.Add(JsonSerializer.Deserialize<ItemOutcome>(((ReadOnlyMemory<byte>)value).Span, IngestJson.Store)!);
                }
            }

            seen += page.Count;
            if (page.Count > 0)
            {
                yield return page;
            }
        }
    }

    public async Task<bool> CommitFlushAsync(string jobId, long expected, long flushed, CancellationToken ct) =>
        (int)await Db.ScriptEvaluateAsync(FlushScript, [JobKey(jobId)], [expected, flushed]) == 1;

    public async Task<bool> TryAcquireLeaseAsync(string jobId, string owner, TimeSpan duration, CancellationToken ct) =>
        (int)await Db.ScriptEvaluateAsync(LeaseScript, [LeaseKey(jobId)], [owner, (long)duration.TotalMilliseconds]) == 1;

    public Task ReleaseLeaseAsync(string jobId, string owner, CancellationToken ct) =>
        Db.ScriptEvaluateAsync(ReleaseScript, [LeaseKey(jobId)], [owner]);

    public async Task RetireAsync(string jobId, TimeSpan retention, CancellationToken ct)
    {
        var key = (string?)await Db.HashGetAsync(JobKey(jobId), "idempotency_key");
        var transaction = Db.CreateTransaction();
        _ = transaction.SetRemoveAsync(ActiveKey, jobId);
        foreach (var k in new[] { JobKey(jobId), ItemsKey(jobId), OrderKey(jobId), OutcomesKey(jobId), LogKey(jobId) })
        {
            _ = transaction.KeyExpireAsync(k, retention);
        }

        if (!string.IsNullOrEmpty(key))
        {
            _ = transaction.KeyExpireAsync(IdempotencyKey(key), retention);
        }

        await transaction.ExecuteAsync();
    }

    /// <summary>How many indices the completion log holds, and the highest (-1 where none), read a chunk at a time.</summary>
    private async Task<(long Count, long Highest)> ScanLogAsync(string jobId, CancellationToken ct)
    {
        const int Chunk = 10_000;
        long count = 0, highest = -1;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var indices = await Db.ListRangeAsync(LogKey(jobId), count, count + Chunk - 1);
            foreach (var index in indices)
            {
                highest = Math.Max(highest, (long)index);
            }

            count += indices.Length;
            if (indices.Length < Chunk)
            {
                return (count, highest);
            }
        }
    }

    private static IEnumerable<(string Field, string Value)> ToFields(JobRecord job)
    {
        yield return ("id", job.Id);
        yield return ("state", JobStateMachine.Name(job.State));
        yield return ("manifest", job.ManifestUri);
        yield return ("output", job.OutputUri);
        yield return ("strict", job.Strict ? "1" : "0");
        yield return ("default_max_tokens", Invariant(job.DefaultMaxTokens));
        yield return ("created_at", Invariant(job.CreatedAt.ToUnixTimeMilliseconds()));
        foreach (var (state, at) in job.StateTimes)
        {
            yield return ("at:" + JobStateMachine.Name(state), Invariant(at.ToUnixTimeMilliseconds()));
        }

        foreach (var (field, value) in new[]
        {
            ("model", job.Model), ("idempotency_key", job.IdempotencyKey), ("retry_of", job.RetryOf), ("retried_by", job.RetriedBy),
            ("schedule", job.Schedule), ("scheduled_for", job.ScheduledFor is { } s ? Invariant(s.ToUnixTimeMilliseconds()) : null),
        })
        {
            if (value is not null)
            {
                yield return (field, value);
            }
        }
    }

    private static JobRecord FromFields(Dictionary<string, string> f)
    {
        string? Text(string name) => f.TryGetValue(name, out var v) && v.Length > 0 ? v : null;
        long Number(string name) => f.TryGetValue(name, out var v) && long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;
        DateTimeOffset Time(string name) => DateTimeOffset.FromUnixTimeMilliseconds(Number(name));

        var times = new Dictionary<JobState, DateTimeOffset>();
        foreach (var state in JobStateMachine.All)
        {
            if (f.ContainsKey("at:" + JobStateMachine.Name(state)))
            {
                times[state] = Time("at:" + JobStateMachine.Name(state));
            }
        }

        return new JobRecord
        {
            Id = f["id"],
            State = JobStateMachine.Parse(f["state"]),
            ManifestUri = f["manifest"],
            OutputUri = f["output"],
            Model = Text("model"),
            Strict = Text("strict") == "1",
            DefaultMaxTokens = (int)Number("default_max_tokens"),
            IdempotencyKey = Text("idempotency_key"),
            RetryOf = Text("retry_of"),
            RetriedBy = Text("retried_by"),
            Schedule = Text("schedule"),
            ScheduledFor = f.ContainsKey("scheduled_for") ? Time("scheduled_for") : null,
            CreatedAt = Time("created_at"),
            StateTimes = times,
            Validated = Text("validated") == "1",
            Total = (int)Number("total"),
            Items = (int)Number("items"),
            Invalid = (int)Number("invalid"),
            Completed = (int)Number("completed"),
            Failed = (int)Number("failed"),
            Published = (int)Number("published"),
            PromptTokens = Number("prompt_tokens"),
            CompletionTokens = Number("completion_tokens"),
            Flushed = Number("flushed"),
            Parts = (int)Number("parts"),
            Format = Text("format"),
            ErrorCode = Text("error_code"),
            ErrorMessage = Text("error_message"),
        };
    }

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
