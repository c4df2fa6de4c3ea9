using EpdBatch.Stages;

namespace EpdBatch.Prefill;

/// <summary>
/// What the model thread hands back for one prefilled item: its first token and, if it goes on, its KV cache: kept on
/// the device for the decoder of this process (<paramref name="Device"/>, owned by whoever holds the outcome), or as a
/// snapshot (<paramref name="Snapshot"/>).
/// </summary>
public sealed record PrefillOutcome(int FirstToken, int PromptTokens, string? FinishReason, byte[]? Snapshot, DeviceKvHandoffEntry? Device = null);
