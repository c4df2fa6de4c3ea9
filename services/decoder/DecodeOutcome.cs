namespace EpdBatch.Decoder;

/// <summary>A finished sequence: every generated token (prefill's first one included) and why it stopped.</summary>
public sealed record DecodeOutcome(IReadOnlyList<int> Tokens, string FinishReason, TimeSpan QueueWait, TimeSpan Busy);
