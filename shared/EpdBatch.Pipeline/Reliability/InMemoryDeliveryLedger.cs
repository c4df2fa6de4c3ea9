using System.Collections.Concurrent;

namespace EpdBatch.Pipeline.Reliability;

/// <summary>
/// <see cref="IDeliveryLedger"/> for the embedded mode: every stage runs in this process, so a crash ends the whole
/// run and no count has to outlive it. TTLs do not apply; finished items are cleared.
/// </summary>
public sealed class InMemoryDeliveryLedger : IDeliveryLedger
{
    private readonly ConcurrentDictionary<(string Stage, string Job, int Item), long> _deliveries = new();
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, long>> _counters = new(StringComparer.Ordinal);

    public Task<long> CountDeliveryAsync(string stage, string jobId, int itemIndex, TimeSpan ttl, CancellationToken ct)
    {
        var count = _deliveries.AddOrUpdate((stage, jobId, itemIndex), 1, static (_, n) => n + 1);
        if (count > 1)
        {
            Add(jobId, ReliabilityCounters.Redeliveries(stage));
        }

        return Task.FromResult(count);
    }

    public Task ClearDeliveriesAsync(string stage, string jobId, int itemIndex, CancellationToken ct)
    {
        _deliveries.TryRemove((stage, jobId, itemIndex), out _);
        return Task.CompletedTask;
    }

    public Task IncrementAsync(string jobId, string counter, CancellationToken ct)
    {
        Add(jobId, counter);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyDictionary<string, long>> GetCountersAsync(string jobId, CancellationToken ct) =>
        Task.FromResult<IReadOnlyDictionary<string, long>>(_counters.TryGetValue(jobId, out var counters)
            ? new Dictionary<string, long>(counters, StringComparer.Ordinal)
            : new Dictionary<string, long>(StringComparer.Ordinal));

    private void Add(string jobId, string counter) =>
        _counters.GetOrAdd(jobId, static _ => new ConcurrentDictionary<string, long>(StringComparer.Ordinal))
            .AddOrUpdate(counter, 1, static (_, n) => n + 1);
}
