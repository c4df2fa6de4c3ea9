using System.Collections.Concurrent;

namespace EpdBatch.Pipeline.Progress;

/// <summary>Stage counters for the embedded mode, where every stage runs in this process.</summary>
public sealed class InMemoryStageProgress : IStageProgress
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, long>> _jobs = new(StringComparer.Ordinal);

    public Task IncrementAsync(string jobId, string stage, CancellationToken ct)
    {
        var counters = _jobs.GetOrAdd(jobId, static _ => new ConcurrentDictionary<string, long>(StringComparer.Ordinal));
        counters.AddOrUpdate(stage, 1, static (_, n) => n + 1);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyDictionary<string, long>> GetAsync(string jobId, CancellationToken ct) =>
        Task.FromResult<IReadOnlyDictionary<string, long>>(_jobs.TryGetValue(jobId, out var counters)
            ? new Dictionary<string, long>(counters, StringComparer.Ordinal)
            : new Dictionary<string, long>(StringComparer.Ordinal));

    public Task DeleteAsync(string jobId, CancellationToken ct)
    {
        _jobs.TryRemove(jobId, out _);
        return Task.CompletedTask;
    }
}
