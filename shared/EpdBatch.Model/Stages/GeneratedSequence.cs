namespace EpdBatch.Model.Stages;

/// <summary>What one sequence generated: its tokens, the prefill's first one included, and why it stopped (<see cref="FinishReason"/>).</summary>
public sealed record GeneratedSequence(IReadOnlyList<int> Tokens, string FinishReason);
