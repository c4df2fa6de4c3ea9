using EpdBatch.Contracts;
using EpdBatch.Ingest.Jobs;
using EpdBatch.Ingest.Manifest;

namespace EpdBatch.ExportBench;

/// <summary>
/// Items and outcomes of the size a captioning job gives: 64 token ids and about 300 characters of text per
/// result, every stage's timings; every <c>failedEvery</c>-th item fails in the encoder. Recorded in a shuffled
/// order, as results arrive.
/// </summary>
internal static class SyntheticOutcomes
{
    private const int Batch = 2_000;

    public static async Task RecordAsync(IJobStore store, string jobId, int count, int failedEvery, DateTimeOffset at)
    {
        var random = new Random(20261125);
        for (var start = 0; start < count; start += Batch)
        {
            var items = Enumerable.Range(start, Math.Min(Batch, count - start))
                .Select(i => new ManifestItem(i + 1, $"img-{i:D7}", "Describe the image in one paragraph.",
                    [new MediaReference(MediaKind.Image, $"az://media/images/{i:D7}.jpg")], new SamplingSettings(64)))
                .ToList();
            await store.AddItemsAsync(jobId, items, CancellationToken.None);
        }

        var order = Enumerable.Range(0, count).ToArray();
        random.Shuffle(order);
        for (var start = 0; start < count; start += Batch)
        {
            var writes = order.AsSpan(start, Math.Min(Batch, count - start)).ToArray()
                .Select(i => store.RecordOutcomeAsync(jobId, Outcome(i, failedEvery, at, random), invalidLine: false, CancellationToken.None));
            await Task.WhenAll(writes);
        }
    }

    private static ItemOutcome Outcome(int index, int failedEvery, DateTimeOffset at, Random random)
    {
        var customId = $"img-{index:D7}";
        if (index % failedEvery == failedEvery - 1)
        {
            return new ItemOutcome(index, customId, null,
                new ItemError("encoder", "media_unreadable", $"The image az://media/images/{index:D7}.jpg could not be decoded: unknown format."), at);
        }

        var tokens = new int[64];
        for (var t = 0; t < tokens.Length; t++)
        {
            tokens[t] = random.Next(32_000);
        }

        var text = string.Join(' ', Enumerable.Range(0, 48).Select(_ => Words[random.Next(Words.Length)]));
        var timings = StageTimings.None
            .WithEncode(random.NextDouble() * 200, random.NextDouble() * 40)
            .WithPrefill(random.NextDouble() * 300, random.NextDouble() * 60)
            .WithDecode(random.NextDouble() * 500, random.NextDouble() * 900);
        return new ItemOutcome(index, customId, new ItemResult(tokens, text, "stop", 600 + random.Next(40), timings), null, at.AddMilliseconds(index));
    }

    private static readonly string[] Words =
        ["a", "cat", "sits", "on", "the", "wooden", "table", "next", "to", "window", "with", "light", "falling", "across", "its", "fur", "while", "small", "bird", "outside"];
}
