using System.Text.Json.Serialization;
using EpdBatch.Contracts;

namespace EpdBatch.Ingest.Manifest;

/// <summary>A valid manifest line, ready to become an <see cref="EncodeItem"/>.</summary>
/// <param name="Line">One-based line number in the manifest; the item's index is <c>Line - 1</c>.</param>
/// <param name="CustomId">The caller's id for the item.</param>
/// <param name="Prompt">The prompt text (system text first, where the line had any).</param>
/// <param name="Media">Images and at most one video, in prompt order.</param>
/// <param name="Sampling">How to decode; a sampled (temperature &gt; 0) item without a seed gets one derived from its custom id, so that a redelivery samples the same tokens.</param>
public sealed record ManifestItem(int Line, string CustomId, string Prompt, IReadOnlyList<MediaReference> Media, SamplingSettings Sampling)
{
    /// <summary>Zero-based line of the item, the <c>ItemIndex</c> of its messages.</summary>
    [JsonIgnore]
    public int Index => Line - 1;
}
