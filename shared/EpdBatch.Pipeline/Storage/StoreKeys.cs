using System.Buffers;
using System.Globalization;

namespace EpdBatch.Pipeline.Storage;

/// <summary>
/// The tensor store's key scheme, in one place: <c>mm:&lt;job&gt;:&lt;item&gt;:&lt;n&gt;</c> for an item's
/// multimodal tokens, <c>kv:&lt;job&gt;:&lt;item&gt;</c> for its KV snapshot, <c>mmc:&lt;hash&gt;</c> for tokens
/// shared by equal media. An item sent back to the encoder (its tokens or snapshot were lost) runs again as attempt
/// <c>r</c> under <c>mm:&lt;job&gt;:&lt;item&gt;.&lt;r&gt;:&lt;n&gt;</c> and <c>kv:&lt;job&gt;:&lt;item&gt;.&lt;r&gt;</c>, so that
/// a stale message of an earlier attempt can neither read nor delete the new attempt's entries. (The attempt is not
/// a segment of its own: <c>mm:j:i:1:0</c> would be chunk 0 of media 1.)
/// </summary>
public static class StoreKeys
{
    // ':' separates the parts of a key, and the glob characters would make CountKeysAsync patterns ambiguous.
    private static readonly SearchValues<char> s_forbiddenInJobId = SearchValues.Create(":*?[]\\ \t\r\n");
    private static readonly SearchValues<char> s_forbiddenInHash = SearchValues.Create("*?[]\\ \t\r\n");

    public static string Multimodal(string jobId, int itemIndex, int mediaIndex, int attempt = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(mediaIndex);
        return string.Create(CultureInfo.InvariantCulture, $"mm:{CheckJobId(jobId)}:{Item(itemIndex, attempt)}:{mediaIndex}");
    }

    public static string Kv(string jobId, int itemIndex, int attempt = 0) =>
        string.Create(CultureInfo.InvariantCulture, $"kv:{CheckJobId(jobId)}:{Item(itemIndex, attempt)}");

    private static string Item(int itemIndex, int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(itemIndex);
        ArgumentOutOfRangeException.ThrowIfNegative(attempt);
        return attempt == 0
            ? itemIndex.ToString(CultureInfo.InvariantCulture)
            : string.Create(CultureInfo.InvariantCulture, $"{itemIndex}.{attempt}");
    }

    /// <summary>Key of the multimodal tokens of media with this content hash (which should cover the preprocessing too).</summary>
    public static string MediaCache(string contentHash)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(contentHash);
        if (contentHash.AsSpan().ContainsAny(s_forbiddenInHash))
        {
            throw new ArgumentException($"A content hash may not contain whitespace or glob characters: '{contentHash}'.", nameof(contentHash));
        }

        return "mmc:" + contentHash;
    }

    /// <summary>Pattern of every multimodal-token key of a job, for <see cref="ITensorStore.CountKeysAsync"/>.</summary>
    public static string MultimodalPattern(string jobId) => $"mm:{CheckJobId(jobId)}:*";

    /// <summary>Pattern of every KV-snapshot key of a job, for <see cref="ITensorStore.CountKeysAsync"/>.</summary>
    public static string KvPattern(string jobId) => $"kv:{CheckJobId(jobId)}:*";

    private static string CheckJobId(string jobId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(jobId);
        if (jobId.AsSpan().ContainsAny(s_forbiddenInJobId))
        {
            throw new ArgumentException($"A job id may not contain ':', whitespace or glob characters: '{jobId}'.", nameof(jobId));
        }

        return jobId;
    }
}
