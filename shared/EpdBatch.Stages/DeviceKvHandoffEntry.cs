using EpdBatch.Model.Stages;

namespace EpdBatch.Stages;

/// <summary>
/// One item's prefilled KV cache, kept on its device for the decoder of the same process, and the share of
/// <see cref="DeviceKvHandoff"/>'s budget it holds. Whoever holds the entry owns it: disposing it frees the cache and
/// gives its bytes back, once, whichever thread calls (the tensors belong to no dispose scope).
/// </summary>
public sealed class DeviceKvHandoffEntry : IDisposable
{
    private readonly DeviceKvHandoff _owner;
    private PrefillResult? _result;

    internal DeviceKvHandoffEntry(DeviceKvHandoff owner, PrefillResult result)
    {
        _owner = owner;
        _result = result;
        Bytes = result.KvBytes;
    }

    /// <summary>The prefilled sequence; valid until the entry is disposed.</summary>
    public PrefillResult Result => _result ?? throw new ObjectDisposedException(nameof(DeviceKvHandoffEntry));

    public long Bytes { get; }

    internal DateTimeOffset ExpiresAt { get; set; } = DateTimeOffset.MaxValue;

    public void Dispose()
    {
        var result = Interlocked.Exchange(ref _result, null);
        if (result is null)
        {
            return;
        }

        result.Dispose();
        _owner.Release(Bytes);
    }
}
