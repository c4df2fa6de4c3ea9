using System.Buffers;
using System.Globalization;

namespace EpdBatch.Pipeline.Storage;

/// <summary>
/// The tensor store's key scheme, in one place: <c>mm:&lt;job&gt;:&lt;item&gt;:&lt;n&gt;</c> for an item's
/// multimodal tokens, <c>kv:&lt;job&gt;:&lt;item&gt;</c> for its KV snapshot, <c>mmc:&lt;hash&gt;</c> for tokens
/// shared by equal media.
/// </summary>
public static class StoreKeys
{
    // ':' separates the parts of a key, and the glob characters would make CountKeysAsync patterns ambiguous.
    private static readonly SearchValues<char> s_forbiddenInJobId = SearchValues.Create(":*?[]\\ \t\r\n");
    private static readonly SearchValues<char> s_forbiddenInHash = SearchValues.Create("*?[]\\ \t\r\n");

    public static string Multimodal(string jobId, int itemIndex, int mediaIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(itemIndex);
        ArgumentOutOfRangeException.ThrowIfNegative(mediaIndex);
        return string.Create(CultureInfo.InvariantCulture, $"mm:{CheckJobId(jobId)}:{itemIndex}:{mediaIndex}");
    }

    public static string Kv(string jobId, int itemIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(itemIndex);
        return string.Create(CultureInfo.InvariantCulture, $"kv:{CheckJobId(jobId)}:{itemIndex}");
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
