namespace EpdBatch.Planning.Profiles;

/// <summary>
/// Moves a payload the way one stage hands a tensor to the next (the producer writes it to the tensor store, the
/// consumer reads it back) and says how long that took. The default is an in-process copy; a probe over the real
/// Redis store measures what the distributed pipeline pays.
/// </summary>
public interface ITransferProbe
{
    /// <summary>Where the payload goes, e.g. "in-process" or "redis"; recorded in the profile.</summary>
    string Name { get; }

    /// <summary>Writes <paramref name="payload"/> and reads it back; returns the time both took.</summary>
    Task<TimeSpan> TransferAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken);
}
