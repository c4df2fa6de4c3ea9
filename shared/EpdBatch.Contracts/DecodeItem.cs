namespace EpdBatch.Contracts;

/// <summary>Command to the decoder: continue generation from the item's KV snapshot.</summary>
/// <param name="JobId">The job the item belongs to.</param>
/// <param name="ItemIndex">Zero-based line of the item in the job's manifest.</param>
/// <param name="CustomId">The caller's id for the item.</param>
/// <param name="KvKey">Key of the KV snapshot in the tensor store (<c>kv:&lt;job&gt;:&lt;item&gt;</c>).</param>
/// <param name="PromptTokens">Length of the prefilled prompt, multimodal tokens included.</param>
/// <param name="FirstToken">The token that prefill sampled after the prompt.</param>
/// <param name="Sampling">How to decode.</param>
/// <param name="EnqueuedAt">When this message was sent, for the decoder's queue-wait time.</param>
/// <param name="Timings">Timings of the stages so far.</param>
/// <param name="Origin">
/// The encode command this item came from, to send back to the encoder (with its recovery count raised) where the
/// item's tokens or KV snapshot are gone. Null only in messages of a version that did not carry it.
/// </param>
public sealed record DecodeItem(
    string JobId,
    int ItemIndex,
    string CustomId,
    string KvKey,
    int PromptTokens,
    int FirstToken,
    SamplingSettings Sampling,
    DateTimeOffset EnqueuedAt,
    StageTimings Timings,
    EncodeItem? Origin = null);
