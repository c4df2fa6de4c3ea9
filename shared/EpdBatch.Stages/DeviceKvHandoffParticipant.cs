namespace EpdBatch.Stages;

/// <summary>
/// A stage of this process that takes part in the device KV hand-off (<see cref="DeviceKvHandoff"/>): the hand-off
/// is on only where both prefill and decoder are here.
/// </summary>
public sealed record DeviceKvHandoffParticipant(string Stage);
