using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace EpdBatch.Pipeline.Storage;

/// <summary>
/// <see cref="ITensorStore"/> in this process, for the embedded mode: values are copied in and out (as they are
/// with Redis, so callers may keep or change their buffers), and expire by the injected <see cref="TimeProvider"/>.
/// </summary>
public sealed class InMemoryTensorStore : ITensorStore
{
    private static readonly TimeSpan s_sweepInterval = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeProvider _timeProvider;
    private long _nextSweepTicks;

    public InMemoryTensorStore(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        _timeProvider = timeProvider;
    }

    public Task SetAsync(string key, ReadOnlyMemory<byte> value, TimeSpan ttl, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ttl, TimeSpan.Zero);
        ct.ThrowIfCancellationRequested();
        var now = _timeProvider.GetUtcNow();
        _entries[key] = new Entry(value.ToArray(), now + ttl);
        SweepIfDue(now);
        return Task.CompletedTask;
    }

    public Task<byte[]?> GetAsync(string key, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(TryGetLive(key, out var entry) ? entry.Value.AsSpan().ToArray() : null);
    }

    public Task<bool> DeleteAsync(string key, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ct.ThrowIfCancellationRequested();
        var live = TryGetLive(key, out _);
        return Task.FromResult(_entries.TryRemove(key, out _) && live);
    }

    public Task<long> CountKeysAsync(string pattern, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        ct.ThrowIfCancellationRequested();
        var glob = RedisGlob.ToRegex(pattern);
        var now = _timeProvider.GetUtcNow();
        return Task.FromResult((long)_entries.Count(pair => pair.Value.ExpiresAt > now && glob.IsMatch(pair.Key)));
    }

    private bool TryGetLive(string key, out Entry entry)
    {
        if (!_entries.TryGetValue(key, out entry!))
        {
            return false;
        }

        if (entry.ExpiresAt > _timeProvider.GetUtcNow())
        {
            return true;
        }

        // Remove only this expired entry, not a fresh one that a concurrent writer just stored.
        _entries.TryRemove(KeyValuePair.Create(key, entry));
        return false;
    }

    private void SweepIfDue(DateTimeOffset now)
    {
        var due = Interlocked.Read(ref _nextSweepTicks);
        if (now.UtcTicks < due || Interlocked.CompareExchange(ref _nextSweepTicks, (now + s_sweepInterval).UtcTicks, due) != due)
        {
            return;
        }

        foreach (var pair in _entries)
        {
            if (pair.Value.ExpiresAt <= now)
            {
                _entries.TryRemove(pair);
            }
        }
    }

    private sealed record Entry(byte[] Value, DateTimeOffset ExpiresAt);

    /// <summary>Redis KEYS/SCAN glob syntax as a regular expression.</summary>
    private static class RedisGlob
    {
        public static Regex ToRegex(string pattern)
        {
            var regex = new System.Text.StringBuilder("^");
            for (var i = 0; i < pattern.Length; i++)
            {
                var c = pattern[i];
                switch (c)
                {
                    case '*':
                        regex.Append(".*");
                        break;
                    case '?':
                        regex.Append('.');
                        break;
                    case '\\' when i + 1 < pattern.Length:
                        regex.Append(Regex.Escape(pattern[++i].ToString()));
                        break;
                    case '[':
                        var close = pattern.IndexOf(']', i + 1);
                        if (close < 0)
                        {
                            regex.Append(@"\[");
                            break;
                        }

                        var set = pattern[(i + 1)..close].Replace("\\", "\\\\", StringComparison.Ordinal);
                        regex.Append('[').Append(set).Append(']');
                        i = close;
                        break;
                    default:
                        regex.Append(Regex.Escape(c.ToString()));
                        break;
                }
            }

            return new Regex(regex.Append('$').ToString(), RegexOptions.Singleline | RegexOptions.CultureInvariant);
        }
    }
}
