namespace EpdBatch.Contracts;

/// <summary>Command to the encoder: encode this item's media, then hand the item on to prefill.</summary>
/// <param name="JobId">The job the item belongs to.</param>
/// <param name="ItemIndex">Zero-based line of the item in the job's manifest; with <paramref name="JobId"/> it keys every output.</param>
/// <param name="CustomId">The caller's id for the item, echoed in the results.</param>
/// <param name="Prompt">The user prompt, before the chat template.</param>
/// <param name="Media">The item's media, in prompt order.</param>
/// <param name="Sampling">How to decode.</param>
/// <param name="EnqueuedAt">When this message was sent, for the encoder's queue-wait time.</param>
/// <param name="Recoveries">
/// How many times a later stage sent the item back because its multimodal tokens or KV snapshot were gone: 0 as
/// the ingest sends it. It is also the attempt that names the item's tensor-store keys.
/// </param>
public sealed record EncodeItem(
    string JobId,
    int ItemIndex,
    string CustomId,
    string Prompt,
    IReadOnlyList<MediaReference> Media,
    SamplingSettings Sampling,
    DateTimeOffset EnqueuedAt,
    int Recoveries = 0);
