using EpdBatch.Contracts;
using EpdBatch.Pipeline.Storage;

namespace EpdBatch.Pipeline.Tests.Support;

/// <summary>Messages as large as real ones get: a long prompt, many media with long URIs, a full generation.</summary>
internal static class SampleMessages
{
    public static EncodeItem Encode(string jobId, int itemIndex = 0, string customId = "item-0") => new(
        jobId,
        itemIndex,
        customId,
        Prompt: string.Concat(Enumerable.Repeat("Describe every object in these frames, their colours and positions, and what happens between them. ", 20)),
        Media: Enumerable.Range(0, 8)
            .Select(i => new MediaReference(i % 4 == 3 ? MediaKind.Video : MediaKind.Image,
                $"https://examplestorageaccount.blob.core.windows.net/customer-media-2025/batch-0001/subfolder/item-{itemIndex:D6}/frame-{i:D3}-with-a-long-name.jpg"))
            .ToArray(),
        Sampling: new SamplingSettings(512, 0.7f, 0.9f, 40, 1234567890123UL),
        EnqueuedAt: DateTimeOffset.UtcNow);

    public static DecodeItem Decode(string jobId, int itemIndex = 0) => new(
        jobId,
        itemIndex,
        $"custom-{itemIndex}-{Guid.NewGuid()}",
        StoreKeys.Kv(jobId, itemIndex),
        PromptTokens: 4096,
        FirstToken: 151_643,
        new SamplingSettings(1024, 0.7f, 0.9f, 40, 42),
        DateTimeOffset.UtcNow,
        StageTimings.None.WithEncode(12.5, 80.25).WithPrefill(3.0, 250.75));

    public static ItemCompleted Completed(string jobId, int tokens) => new(
        jobId,
        0,
        "item-0",
        Enumerable.Range(0, tokens).Select(i => 100_000 + i).ToArray(),
        string.Concat(Enumerable.Repeat("word ", tokens)),
        "length",
        4096,
        StageTimings.None.WithEncode(1, 2).WithPrefill(3, 4).WithDecode(5, 6));
}
