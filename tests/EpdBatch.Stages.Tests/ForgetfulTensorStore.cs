using System.Collections.Concurrent;
using EpdBatch.Pipeline.Storage;

namespace EpdBatch.Stages.Tests;

/// <summary>
/// The in-process tensor store, except that the keys <paramref name="forget"/> picks read as missing, as after an
/// eviction or a Redis restart without persistence: each such key of a given attempt is lost once, or every time
/// where <paramref name="always"/>.
/// </summary>
internal sealed class ForgetfulTensorStore(Func<string, bool> forget, bool always = false) : ITensorStore
{
    private readonly InMemoryTensorStore _inner = new(TimeProvider.System);
    private readonly ConcurrentDictionary<string, bool> _forgotten = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> Forgotten => _forgotten.Keys.ToList();

    public Task SetAsync(string key, ReadOnlyMemory<byte> value, TimeSpan ttl, CancellationToken ct) => _inner.SetAsync(key, value, ttl, ct);

    public async Task<byte[]?> GetAsync(string key, CancellationToken ct)
    {
        if (forget(key) && (_forgotten.TryAdd(key, true) || always))
        {
            await _inner.DeleteAsync(key, ct);
            return null;
        }
        return await _inner.GetAsync(key, ct);
    }

    public Task<bool> DeleteAsync(string key, CancellationToken ct) => _inner.DeleteAsync(key, ct);

    public Task<long> CountKeysAsync(string pattern, CancellationToken ct) => _inner.CountKeysAsync(pattern, ct);
}
