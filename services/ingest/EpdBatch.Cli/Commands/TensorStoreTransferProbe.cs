using EpdBatch.Pipeline.Storage;
using EpdBatch.Planning.Profiles;

namespace EpdBatch.Cli.Commands;

/// <summary>
/// The distributed pipeline's hand-off for <c>epd plan profile</c>: the payload written to the tensor store (Redis,
/// chunked as the stages write it) and read back, as one stage hands multimodal tokens or a KV snapshot to the
/// next. Each probe key is unique and deleted after it is read (untimed).
/// </summary>
internal sealed class TensorStoreTransferProbe(ITensorStore store, string name, TimeProvider? time = null) : ITransferProbe
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly string _prefix = $"epd:plan-probe:{Guid.NewGuid():N}:";
    private int _next;

    public string Name => name;

    public async Task<TimeSpan> TransferAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var key = _prefix + Interlocked.Increment(ref _next);
        var start = _time.GetTimestamp();
        await store.SetAsync(key, payload, TimeSpan.FromMinutes(5), cancellationToken);
        var read = await store.GetAsync(key, cancellationToken)
            ?? throw new InvalidOperationException($"transfer probe: {key} was not readable right after it was written");
        var elapsed = _time.GetElapsedTime(start);
        await store.DeleteAsync(key, cancellationToken);
        if (read.Length != payload.Length)
        {
            throw new InvalidOperationException($"transfer probe: read {read.Length} bytes back of {payload.Length}");
        }
        return elapsed;
    }
}
