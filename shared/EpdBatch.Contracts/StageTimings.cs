namespace EpdBatch.Contracts;

/// <summary>
/// Per-stage time of one item, in milliseconds: how long it waited in the stage's queue and how long the stage
/// was busy with it (its share of a batch). A stage that has not run yet leaves its two values null. Each stage
/// adds its own with <see cref="WithEncode"/>, <see cref="WithPrefill"/> or <see cref="WithDecode"/>.
/// </summary>
public sealed record StageTimings
{
    /// <summary>No stage has run.</summary>
    public static StageTimings None { get; } = new();

    public double? EncodeQueueMs { get; init; }
    public double? EncodeBusyMs { get; init; }
    public double? PrefillQueueMs { get; init; }
    public double? PrefillBusyMs { get; init; }
    public double? DecodeQueueMs { get; init; }
    public double? DecodeBusyMs { get; init; }

    public StageTimings WithEncode(double queueMs, double busyMs) => this with { EncodeQueueMs = queueMs, EncodeBusyMs = busyMs };

    public StageTimings WithPrefill(double queueMs, double busyMs) => this with { PrefillQueueMs = queueMs, PrefillBusyMs = busyMs };

    public StageTimings WithDecode(double queueMs, double busyMs) => this with { DecodeQueueMs = queueMs, DecodeBusyMs = busyMs };

    // Methods rather than computed properties, so that the serializer leaves them off the wire.

    /// <summary>Busy time summed over the stages that have run.</summary>
    public double GetTotalBusyMs() => (EncodeBusyMs ?? 0) + (PrefillBusyMs ?? 0) + (DecodeBusyMs ?? 0);

    /// <summary>Queue-wait time summed over the stages that have run.</summary>
    public double GetTotalQueueMs() => (EncodeQueueMs ?? 0) + (PrefillQueueMs ?? 0) + (DecodeQueueMs ?? 0);
}
