using EpdBatch.Contracts;

namespace EpdBatch.Ingest.Jobs;

/// <summary>What a completed item produced, as the decoder reported it.</summary>
public sealed record ItemResult(IReadOnlyList<int> Tokens, string? Text, string FinishReason, int PromptTokens, StageTimings Timings);
