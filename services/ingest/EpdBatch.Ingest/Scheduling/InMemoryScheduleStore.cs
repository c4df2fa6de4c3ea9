namespace EpdBatch.Ingest.Scheduling;

/// <summary>Schedules in this process (the embedded mode): they fire while the process runs, and are gone after.</summary>
public sealed class InMemoryScheduleStore(TimeProvider timeProvider) : IScheduleStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ScheduleDefinition> _schedules = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ScheduleState> _states = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _claims = new(StringComparer.Ordinal);

    public Task<bool> AddAsync(ScheduleDefinition schedule, bool replace, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        lock (_lock)
        {
            if (!replace && _schedules.ContainsKey(schedule.Name))
            {
                return Task.FromResult(false);
            }

            _schedules[schedule.Name] = schedule;
            _states.Remove(schedule.Name);
            return Task.FromResult(true);
        }
    }

    public Task<bool> RemoveAsync(string name, CancellationToken ct)
    {
        lock (_lock)
        {
            _states.Remove(name);
            return Task.FromResult(_schedules.Remove(name));
        }
    }

    public Task<ScheduleDefinition?> GetAsync(string name, CancellationToken ct)
    {
        lock (_lock)
        {
            return Task.FromResult(_schedules.GetValueOrDefault(name));
        }
    }

    public Task<IReadOnlyList<ScheduleDefinition>> ListAsync(CancellationToken ct)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<ScheduleDefinition>>(_schedules.Values.OrderBy(s => s.Name, StringComparer.Ordinal).ToList());
        }
    }

    public Task<ScheduleState> GetStateAsync(string name, CancellationToken ct)
    {
        lock (_lock)
        {
            return Task.FromResult(State(name));
        }
    }

    public Task<bool> TryClaimSlotAsync(ScheduleDefinition schedule, DateTimeOffset slot, TimeSpan ttl, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var key = $"{schedule.Name}:{schedule.CreatedAt.ToUnixTimeMilliseconds()}:{slot.ToUnixTimeMilliseconds()}";
        lock (_lock)
        {
            var now = timeProvider.GetUtcNow();
            if (_claims.TryGetValue(key, out var until) && until > now)
            {
                return Task.FromResult(false);
            }

            _claims[key] = now + ttl;
            return Task.FromResult(true);
        }
    }

    public Task AdvanceCheckedAsync(string name, DateTimeOffset upTo, CancellationToken ct)
    {
        lock (_lock)
        {
            var state = State(name);
            if (state.CheckedUpTo is null || upTo > state.CheckedUpTo)
            {
                _states[name] = state with { CheckedUpTo = upTo };
            }
        }

        return Task.CompletedTask;
    }

    public Task SetLastRunAsync(string name, DateTimeOffset slot, string jobId, CancellationToken ct)
    {
        lock (_lock)
        {
            _states[name] = State(name) with { LastSlot = slot, LastJobId = jobId };
        }

        return Task.CompletedTask;
    }

    public Task SetLastSkippedAsync(string name, DateTimeOffset slot, string reason, CancellationToken ct)
    {
        lock (_lock)
        {
            _states[name] = State(name) with { LastSkippedSlot = slot, LastSkipReason = reason };
        }

        return Task.CompletedTask;
    }

    private ScheduleState State(string name) => _states.GetValueOrDefault(name) ?? new ScheduleState(null, null, null, null, null);
}
