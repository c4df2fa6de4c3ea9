using System.Runtime.CompilerServices;
using EpdBatch.Ingest.Manifest;

namespace EpdBatch.Ingest.Jobs;

/// <summary>
/// <see cref="IJobStore"/> in this process, for the embedded mode (one process runs every stage; nothing
/// survives it). Same semantics as <see cref="RedisJobStore"/>: one lock makes each call atomic.
/// </summary>
public sealed class InMemoryJobStore(TimeProvider timeProvider) : IJobStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, JobData> _jobs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _idempotency = new(StringComparer.Ordinal);
    private readonly HashSet<string> _active = new(StringComparer.Ordinal);

    public Task<JobCreation> CreateAsync(JobRecord job, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(job);
        var key = job.IdempotencyKey ?? throw new ArgumentException("A job needs an idempotency key (given or derived).", nameof(job));
        lock (_lock)
        {
            if (_idempotency.TryGetValue(key, out var existingId) && Find(existingId) is { } existing)
            {
                return Task.FromResult(new JobCreation(existing.Record, false));
            }

            _idempotency[key] = job.Id;
            _jobs[job.Id] = new JobData(job);
            _active.Add(job.Id);
            return Task.FromResult(new JobCreation(job, true));
        }
    }

    public Task<JobRecord?> GetAsync(string jobId, CancellationToken ct)
    {
        lock (_lock)
        {
            return Task.FromResult(Find(jobId)?.Record);
        }
    }

    public Task<IReadOnlyList<JobRecord>> ListAsync(int limit, CancellationToken ct)
    {
        lock (_lock)
        {
            IReadOnlyList<JobRecord> jobs = _jobs.Keys.ToList().Select(Find).OfType<JobData>().Select(d => d.Record)
                .OrderByDescending(j => j.CreatedAt).ThenByDescending(j => j.Id, StringComparer.Ordinal).Take(limit).ToList();
            return Task.FromResult(jobs);
        }
    }

    public Task<IReadOnlyList<string>> ListActiveAsync(CancellationToken ct)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<string>>(_active.Order(StringComparer.Ordinal).ToList());
        }
    }

    public Task<bool> TryTransitionAsync(string jobId, JobState from, JobState to, DateTimeOffset at, string? errorCode, string? errorMessage, CancellationToken ct)
    {
        if (!JobStateMachine.CanMove(from, to))
        {
            throw new InvalidOperationException($"A job cannot move from {JobStateMachine.Name(from)} to {JobStateMachine.Name(to)}.");
        }

        lock (_lock)
        {
            if (Find(jobId) is not { } data || data.Record.State != from)
            {
                return Task.FromResult(false);
            }

            var times = new Dictionary<JobState, DateTimeOffset>(data.Record.StateTimes) { [to] = at };
            data.Record = data.Record with
            {
                State = to,
                StateTimes = times,
                ErrorCode = errorCode ?? data.Record.ErrorCode,
                ErrorMessage = errorCode is null ? data.Record.ErrorMessage : errorMessage,
            };
            return Task.FromResult(true);
        }
    }

    public Task SetRetriedByAsync(string jobId, string retryJobId, CancellationToken ct) =>
        Update(jobId, r => r with { RetriedBy = retryJobId });

    public Task ResetItemsAsync(string jobId, CancellationToken ct)
    {
        lock (_lock)
        {
            if (Find(jobId) is { } data)
            {
                data.Items.Clear();
                data.Order.Clear();
                data.Record = data.Record with { Items = 0, Published = 0 };
            }
        }

        return Task.CompletedTask;
    }

    public Task AddItemsAsync(string jobId, IReadOnlyList<ManifestItem> items, CancellationToken ct)
    {
        lock (_lock)
        {
            var data = Require(jobId);
            foreach (var item in items)
            {
                data.Items[item.Index] = item;
                data.Order.Add(item.Index);
            }

            data.Record = data.Record with { Items = data.Record.Items + items.Count };
        }

        return Task.CompletedTask;
    }

    public Task SetValidatedAsync(string jobId, int items, int total, string? format, CancellationToken ct) =>
        Update(jobId, r => r with { Validated = true, Items = items, Total = total, Format = string.IsNullOrEmpty(format) ? null : format });

    public Task<IReadOnlyList<ManifestItem>> GetItemsAsync(string jobId, int start, int count, CancellationToken ct)
    {
        lock (_lock)
        {
            var data = Find(jobId);
            IReadOnlyList<ManifestItem> items = data is null || count <= 0
                ? []
                : data.Order.Skip(start).Take(count).Select(i => data.Items[i]).ToList();
            return Task.FromResult(items);
        }
    }

    public Task SetPublishedAsync(string jobId, int published, CancellationToken ct) =>
        Update(jobId, r => r with { Published = published });

    public Task<OutcomeRecording> RecordOutcomeAsync(string jobId, ItemOutcome outcome, bool invalidLine, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        lock (_lock)
        {
            if (Find(jobId) is not { } data)
            {
                return Task.FromResult(OutcomeRecording.UnknownJob);
            }

            if (!invalidLine && !data.Items.ContainsKey(outcome.Index))
            {
                return Task.FromResult(OutcomeRecording.UnknownItem);
            }

            if (!data.Outcomes.TryAdd(outcome.Index, outcome))
            {
                return Task.FromResult(OutcomeRecording.Duplicate);
            }

            data.Log.Add(outcome.Index);
            var r = data.Record;
            data.Record = outcome.Result is { } result
                ? r with { Completed = r.Completed + 1, PromptTokens = r.PromptTokens + result.PromptTokens, CompletionTokens = r.CompletionTokens + result.Tokens.Count }
                : r with { Failed = r.Failed + 1, Invalid = r.Invalid + (invalidLine ? 1 : 0) };
            return Task.FromResult(OutcomeRecording.Recorded);
        }
    }

    public Task<long> CountOutcomesAsync(string jobId, CancellationToken ct)
    {
        lock (_lock)
        {
            return Task.FromResult((long)(Find(jobId)?.Log.Count ?? 0));
        }
    }

    public Task<IReadOnlyList<ItemOutcome>> ReadOutcomeLogAsync(string jobId, long start, int count, CancellationToken ct)
    {
        lock (_lock)
        {
            var data = Find(jobId);
            IReadOnlyList<ItemOutcome> outcomes = data is null || count <= 0
                ? []
                : data.Log.Skip((int)start).Take(count).Select(i => data.Outcomes[i]).ToList();
            return Task.FromResult(outcomes);
        }
    }

    public async IAsyncEnumerable<IReadOnlyList<ItemOutcome>> ReadOutcomePagesAsync(string jobId, int pageSize, [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        int[] indices;
        lock (_lock)
        {
            indices = Find(jobId)?.Outcomes.Keys.ToArray() ?? [];
        }

        Array.Sort(indices);
        var next = 0;
        while (next < indices.Length)
        {
            ct.ThrowIfCancellationRequested();
            var end = (indices[next] / pageSize + 1L) * pageSize;
            var page = new List<ItemOutcome>();
            lock (_lock)
            {
                if (Find(jobId) is not { } data)
                {
                    break;
                }

                for (; next < indices.Length && indices[next] < end; next++)
                {
                    page.Add(data.Outcomes[indices[next]]);
                }
            }

            yield return page;
        }

        await Task.CompletedTask;
    }

    public Task<bool> CommitFlushAsync(string jobId, long expected, long flushed, CancellationToken ct)
    {
        lock (_lock)
        {
            if (Find(jobId) is not { } data || data.Record.Flushed != expected)
            {
                return Task.FromResult(false);
            }

            data.Record = data.Record with { Flushed = flushed, Parts = data.Record.Parts + 1 };
            return Task.FromResult(true);
        }
    }

    public Task<bool> TryAcquireLeaseAsync(string jobId, string owner, TimeSpan duration, CancellationToken ct)
    {
        lock (_lock)
        {
            if (Find(jobId) is not { } data)
            {
                return Task.FromResult(false);
            }

            var now = timeProvider.GetUtcNow();
            if (data.Lease is { } lease && lease.Owner != owner && lease.Until > now)
            {
                return Task.FromResult(false);
            }

            data.Lease = (owner, now + duration);
            return Task.FromResult(true);
        }
    }

    public Task ReleaseLeaseAsync(string jobId, string owner, CancellationToken ct)
    {
        lock (_lock)
        {
            if (Find(jobId) is { Lease.Owner: var holder } data && holder == owner)
            {
                data.Lease = null;
            }
        }

        return Task.CompletedTask;
    }

    public Task RetireAsync(string jobId, TimeSpan retention, CancellationToken ct)
    {
        lock (_lock)
        {
            _active.Remove(jobId);
            if (Find(jobId) is { } data)
            {
                data.ExpiresAt = timeProvider.GetUtcNow() + retention;
            }
        }

        return Task.CompletedTask;
    }

    private Task Update(string jobId, Func<JobRecord, JobRecord> change)
    {
        lock (_lock)
        {
            var data = Require(jobId);
            data.Record = change(data.Record);
        }

        return Task.CompletedTask;
    }

    private JobData Require(string jobId) => Find(jobId) ?? throw new InvalidOperationException($"No job {jobId}.");

    // Called under the lock: a job past its retention is gone, as its Redis keys would be.
    private JobData? Find(string jobId)
    {
        if (!_jobs.TryGetValue(jobId, out var data))
        {
            return null;
        }

        if (data.ExpiresAt is { } expires && expires <= timeProvider.GetUtcNow())
        {
            _jobs.Remove(jobId);
            return null;
        }

        return data;
    }

    private sealed class JobData(JobRecord record)
    {
        public JobRecord Record { get; set; } = record;

        public Dictionary<int, ManifestItem> Items { get; } = [];

        public List<int> Order { get; } = [];

        public Dictionary<int, ItemOutcome> Outcomes { get; } = [];

        public List<int> Log { get; } = [];

        public (string Owner, DateTimeOffset Until)? Lease { get; set; }

        public DateTimeOffset? ExpiresAt { get; set; }
    }
}
