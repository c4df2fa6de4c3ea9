namespace EpdBatch.Model.Stages;

/// <summary>What one decode step produced for one sequence; <see cref="FinishReason"/> is set on its last step.</summary>
public sealed record DecodeStep(int Slot, object? Tag, int Token, int Generated, string? FinishReason);
