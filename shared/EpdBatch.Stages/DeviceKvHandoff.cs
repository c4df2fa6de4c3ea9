using System.Collections.Concurrent;
using EpdBatch.Model.Stages;
using EpdBatch.Pipeline;
using EpdBatch.Pipeline.Options;
using EpdBatch.Pipeline.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EpdBatch.Stages;

/// <summary>
/// The KV hand-off between a prefill and a decoder of the same process (the embedded mode): prefill keeps an item's
/// <see cref="PrefillResult"/> here, on its device, under the item's KV key, instead of copying a snapshot to host
/// memory and the tensor store; the decoder takes it and copies it device-to-device into its batch. Off where the
/// process lacks either stage, where the tensor store is not <see cref="InMemoryTensorStore"/> (the distributed
/// mode), or with <see cref="DecoderOptions.DeviceHandoff"/> false.
/// <para>
/// Bounded: the entries held (from <see cref="TryReserve"/> until disposed, taken ones included) never pass
/// <see cref="DecoderOptions.DeviceHandoffMaxBytes"/>; an item that does not fit takes the host path. An entry
/// leaves by <see cref="TryTake"/>, <see cref="Remove"/>, its TTL (swept on each put), or the host's stop.
/// </para>
/// </summary>
public sealed class DeviceKvHandoff : IDisposable
{
    private readonly ConcurrentDictionary<string, DeviceKvHandoffEntry> _entries = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly ILogger<DeviceKvHandoff> _logger;
    private long _bytesHeld;
    private long _peakBytes;
    private long _handedOff;
    private long _budgetFallbacks;
    private long _modelMismatches;
    private long _discarded;
    private int _disposed;

    public DeviceKvHandoff(ITensorStore store, IEnumerable<DeviceKvHandoffParticipant> participants, IOptions<DecoderOptions> options,
        TimeProvider time, ILogger<DeviceKvHandoff> logger)
    {
        _time = time;
        _logger = logger;
        var stages = participants.Select(p => p.Stage).ToHashSet(StringComparer.Ordinal);
        var colocated = stages.Contains(PipelineStages.Prefill) && stages.Contains(PipelineStages.Decoder);
        // Read the decoder's options only where the decoder is here: elsewhere they are not bound nor validated.
        Enabled = colocated && store is InMemoryTensorStore && options.Value.DeviceHandoff;
        MaxBytes = colocated ? options.Value.DeviceHandoffMaxBytes : 0;
        if (Enabled)
        {
            logger.LogInformation("device KV hand-off between prefill and decoder: on, up to {MaxBytes} bytes", MaxBytes);
        }
    }

    public bool Enabled { get; }

    public long MaxBytes { get; }

    /// <summary>Entries in the registry now (taken ones not counted).</summary>
    public int Count => _entries.Count;

    /// <summary>Bytes of KV held now: reserved, in the registry, or taken and not yet disposed.</summary>
    public long BytesHeld => Interlocked.Read(ref _bytesHeld);

    /// <summary>The most <see cref="BytesHeld"/> has been.</summary>
    public long PeakBytes => Interlocked.Read(ref _peakBytes);

    /// <summary>Items put on the device path.</summary>
    public long HandedOff => Interlocked.Read(ref _handedOff);

    /// <summary>Items that took the host path because the budget was full.</summary>
    public long BudgetFallbacks => Interlocked.Read(ref _budgetFallbacks);

    /// <summary>Items the decoder took but could not continue on its own model (another fingerprint or dtype), so continued from a snapshot.</summary>
    public long ModelMismatches => Interlocked.Read(ref _modelMismatches);

    /// <summary>Entries disposed untaken: removed, replaced, expired or dropped at the host's stop.</summary>
    public long Discarded => Interlocked.Read(ref _discarded);

    /// <summary>
    /// Wraps <paramref name="result"/> in an entry that holds its bytes of the budget, or returns null (and counts a
    /// fallback) where the hand-off is off or the bytes do not fit; the caller then exports a snapshot and still owns
    /// the result. Called on prefill's model thread, so that a refused item is exported there.
    /// </summary>
    public DeviceKvHandoffEntry? TryReserve(PrefillResult result)
    {
        if (!Enabled || Volatile.Read(ref _disposed) != 0)
        {
            return null;
        }

        var bytes = result.KvBytes;
        while (true)
        {
            var held = Interlocked.Read(ref _bytesHeld);
            if (held + bytes > MaxBytes)
            {
                Interlocked.Increment(ref _budgetFallbacks);
                return null;
            }

            if (Interlocked.CompareExchange(ref _bytesHeld, held + bytes, held) == held)
            {
                InterlockedMax(ref _peakBytes, held + bytes);
                return new DeviceKvHandoffEntry(this, result);
            }
        }
    }

    /// <summary>Keeps <paramref name="entry"/> under <paramref name="key"/> for <paramref name="ttl"/>, disposing one it replaces.</summary>
    public void Put(string key, DeviceKvHandoffEntry entry, TimeSpan ttl)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var now = _time.GetUtcNow();
        entry.ExpiresAt = now + ttl;
        SweepExpired(now);
        if (Volatile.Read(ref _disposed) != 0)
        {
            entry.Dispose();
            throw new ObjectDisposedException(nameof(DeviceKvHandoff));
        }

        var replaced = (DeviceKvHandoffEntry?)null;
        _entries.AddOrUpdate(key, entry, (_, old) =>
        {
            replaced = old;
            return entry;
        });
        Interlocked.Increment(ref _handedOff);
        if (replaced is not null && !ReferenceEquals(replaced, entry))
        {
            Discard(replaced);
        }
    }

    /// <summary>Takes the entry under <paramref name="key"/> (the caller owns it now), or null where there is none or it expired.</summary>
    public DeviceKvHandoffEntry? TryTake(string key)
    {
        if (!_entries.TryRemove(key, out var entry))
        {
            return null;
        }

        if (entry.ExpiresAt > _time.GetUtcNow())
        {
            return entry;
        }

        Discard(entry);
        return null;
    }

    /// <summary>Disposes the entry under <paramref name="key"/>, where there is one: for every path that deletes the item's KV key.</summary>
    public bool Remove(string key)
    {
        if (!_entries.TryRemove(key, out var entry))
        {
            return false;
        }

        Discard(entry);
        return true;
    }

    /// <summary>Counts an entry the decoder took and could not continue on its own model.</summary>
    public void CountModelMismatch() => Interlocked.Increment(ref _modelMismatches);

    internal void Release(long bytes) => Interlocked.Add(ref _bytesHeld, -bytes);

    private void Discard(DeviceKvHandoffEntry entry)
    {
        Interlocked.Increment(ref _discarded);
        entry.Dispose();
    }

    private void SweepExpired(DateTimeOffset now)
    {
        foreach (var pair in _entries)
        {
            if (pair.Value.ExpiresAt <= now && _entries.TryRemove(pair))
            {
                Discard(pair.Value);
            }
        }
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>Frees what is left at the host's stop (a decode message that comes later finds no cache and sends its item back to the encoder).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var key in _entries.Keys)
        {
            Remove(key);
        }

        if (Enabled)
        {
            _logger.LogInformation("device KV hand-off: {HandedOff} items on the device, {Fallbacks} over the budget took the host path, {Mismatches} model mismatches, peak {Peak} of {Max} bytes",
                HandedOff, BudgetFallbacks, ModelMismatches, PeakBytes, MaxBytes);
        }
    }
}
