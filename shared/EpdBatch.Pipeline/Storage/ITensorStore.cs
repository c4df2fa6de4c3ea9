namespace EpdBatch.Pipeline.Storage;

/// <summary>
/// The claim check for tensors: multimodal tokens and KV snapshots travel through here, and messages carry only
/// their keys (<see cref="StoreKeys"/>). Every entry has a TTL, and the stage that consumed it deletes it.
/// </summary>
public interface ITensorStore
{
    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/> for <paramref name="ttl"/>, replacing what was there.</summary>
    Task SetAsync(string key, ReadOnlyMemory<byte> value, TimeSpan ttl, CancellationToken ct);

    /// <summary>The value under <paramref name="key"/>, or null where it is missing, expired or incomplete.</summary>
    Task<byte[]?> GetAsync(string key, CancellationToken ct);

    /// <summary>Removes the value with all its parts; true where there was one.</summary>
    Task<bool> DeleteAsync(string key, CancellationToken ct);

    /// <summary>
    /// How many stored keys match a Redis glob pattern (<c>*</c>, <c>?</c>, <c>[abc]</c>), chunks of large values
    /// included: for tests and diagnostics (no leftovers after a job), not for hot paths.
    /// </summary>
    Task<long> CountKeysAsync(string pattern, CancellationToken ct);
}
