using System.Collections.Concurrent;
using EpdBatch.Contracts;

namespace EpdBatch.Ingest.Tests.Support;

/// <summary>
/// What the simulated stages do with each item, and what they saw. The real encoder, prefill and decoder are not
/// this suite's subject: <see cref="FakeStageConsumer"/> answers an <see cref="EncodeItem"/> directly with the
/// item's <see cref="ItemCompleted"/> (or <see cref="ItemFailed"/>), as the decoder would at the end.
/// </summary>
public sealed class FakeStage(string queueName)
{
    public string QueueName { get; } = queueName;

    /// <summary>Encode commands received, by custom id (a window sent twice after a crash shows here as 2).</summary>
    public ConcurrentDictionary<string, int> Received { get; } = new(StringComparer.Ordinal);

    /// <summary>Custom ids that fail in the encoder (blob_not_found) until removed: the "cause" a retry needs fixed.</summary>
    public ConcurrentDictionary<string, bool> Failing { get; } = new(StringComparer.Ordinal);

    /// <summary>Custom ids answered twice with ItemCompleted and then once more with a late ItemFailed: duplicates the ingest must ignore.</summary>
    public ConcurrentDictionary<string, bool> Duplicating { get; } = new(StringComparer.Ordinal);

    /// <summary>Items whose custom id starts with "hold" wait for this before they answer.</summary>
    public TaskCompletionSource Hold { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int TotalReceived => Received.Values.Sum();

    /// <summary>The tokens the fake decoder "generates" for an item: derived from its index, so tests can check them.</summary>
    public static int[] TokensOf(int itemIndex) => [itemIndex + 1, 1000 + itemIndex, 7];

    public static string TextOf(string customId) => $"A caption for {customId}.";

    public static StageTimings TimingsOf(int itemIndex) =>
        StageTimings.None.WithEncode(queueMs: itemIndex, busyMs: 10).WithPrefill(queueMs: 2, busyMs: 20).WithDecode(queueMs: 3, busyMs: 30);
}
