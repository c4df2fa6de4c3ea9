using EpdBatch.Model.Stages;

namespace EpdBatch.Prefill;

/// <summary>What the model thread hands back for one prefilled item: its first token and, if it goes on, its KV snapshot.</summary>
public sealed record PrefillOutcome(int FirstToken, int PromptTokens, string? FinishReason, byte[]? Snapshot);
