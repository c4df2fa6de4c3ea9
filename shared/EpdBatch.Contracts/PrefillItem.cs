namespace EpdBatch.Contracts;

/// <summary>Command to prefill: run the language model over the prompt and the item's multimodal tokens.</summary>
/// <param name="JobId">The job the item belongs to.</param>
/// <param name="ItemIndex">Zero-based line of the item in the job's manifest.</param>
/// <param name="CustomId">The caller's id for the item.</param>
/// <param name="Prompt">The user prompt, before the chat template.</param>
/// <param name="Media">References to the multimodal tokens of each media file, in prompt order.</param>
/// <param name="Sampling">How to decode (prefill samples the first token).</param>
/// <param name="EnqueuedAt">When this message was sent, for prefill's queue-wait time.</param>
/// <param name="Timings">Timings of the stages so far.</param>
/// <param name="Origin">
/// The encode command this item came from, to send back to the encoder (with its recovery count raised) where the
/// item's tokens or KV snapshot are gone. Null only in messages of a version that did not carry it.
/// </param>
public sealed record PrefillItem(
    string JobId,
    int ItemIndex,
    string CustomId,
    string Prompt,
    IReadOnlyList<EncodedMedia> Media,
    SamplingSettings Sampling,
    DateTimeOffset EnqueuedAt,
    StageTimings Timings,
    EncodeItem? Origin = null);
