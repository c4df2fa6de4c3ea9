namespace EpdBatch.Contracts;

/// <summary>Event: an item reached its end of generation.</summary>
/// <param name="JobId">The job the item belongs to.</param>
/// <param name="ItemIndex">Zero-based line of the item in the job's manifest.</param>
/// <param name="CustomId">The caller's id for the item.</param>
/// <param name="Tokens">The generated token ids (the first token included, the stop token not).</param>
/// <param name="Text">The detokenized text, where the decoder had a tokenizer.</param>
/// <param name="FinishReason"><c>stop</c> (a stop token) or <c>length</c> (the token limit).</param>
/// <param name="PromptTokens">Length of the prompt, multimodal tokens included.</param>
/// <param name="Timings">Timings of every stage.</param>
public sealed record ItemCompleted(
    string JobId,
    int ItemIndex,
    string CustomId,
    IReadOnlyList<int> Tokens,
    string? Text,
    string FinishReason,
    int PromptTokens,
    StageTimings Timings);
