namespace EpdBatch.Planning.Profiles;

/// <summary>
/// The embedded pipeline's hand-off: the producer's bytes copied into the in-process store and copied out again
/// by the consumer. A floor for what a networked store costs.
/// </summary>
public sealed class InProcessTransferProbe(TimeProvider? time = null) : ITransferProbe
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public string Name => "in-process";

    public Task<TimeSpan> TransferAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var start = _time.GetTimestamp();
        var stored = payload.ToArray();
        var read = stored.AsSpan().ToArray();
        var elapsed = _time.GetElapsedTime(start);
        // Keeps the JIT from proving the copies dead.
        GC.KeepAlive(read);
        return Task.FromResult(elapsed);
    }
}
