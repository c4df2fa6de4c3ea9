using System.Collections.Concurrent;

namespace EpdBatch.Pipeline.Progress;

/// <summary>Cancelled jobs for the embedded mode, where the ingest and every stage share this process.</summary>
public sealed class InMemoryJobCancellation(TimeProvider time) : IJobCancellation
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _until = new(StringComparer.Ordinal);

    public Task MarkCancelledAsync(string jobId, TimeSpan ttl, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(jobId);
        _until[jobId] = time.GetUtcNow() + ttl;
        return Task.CompletedTask;
    }

    public Task<bool> IsCancelledAsync(string jobId, CancellationToken ct)
    {
        if (!_until.TryGetValue(jobId, out var until))
        {
            return Task.FromResult(false);
        }

        if (until > time.GetUtcNow())
        {
            return Task.FromResult(true);
        }

        _until.TryRemove(jobId, out _);
        return Task.FromResult(false);
    }
}
