using EpdBatch.Model.Sampling;

namespace EpdBatch.Model.Stages;

/// <summary>
/// One sequence to prefill: prompt ids with ONE placeholder id (the model's image or video token) per media item,
/// in order, and those items' multimodal tokens.
/// </summary>
public sealed record PrefillRequest(IReadOnlyList<int> PromptIds, IReadOnlyList<MultimodalEmbedding> Media, SamplingParams Sampling)
{
    /// <summary>Also return the argmax of the logits at every prompt position (for reference checks).</summary>
    public bool ReturnArgmaxAll { get; init; }
}
