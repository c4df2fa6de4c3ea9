namespace EpdBatch.Planning.Workloads;

/// <summary>
/// A synthetic workload: <see cref="Items"/> equal items, all queued at the start (offline), or arriving as a
/// Poisson process at <see cref="RatePerSecond"/> (online) from a fixed seed.
/// </summary>
public sealed record SyntheticWorkload
{
    public int Items { get; init; } = 1000;

    public int ImagesPerItem { get; init; } = 1;

    /// <summary>Longest image side in pixels; 0 means the vision tower's resolution.</summary>
    public int ImageSize { get; init; }

    public int VideoFrames { get; init; }

    public int PromptTokens { get; init; } = 64;

    public int OutputTokens { get; init; } = 64;

    /// <summary>Items per second for an online workload; null for offline.</summary>
    public double? RatePerSecond { get; init; }

    public int Seed { get; init; } = 1;

    public Workload Build()
    {
        if (Items < 1 || ImagesPerItem < 0 || ImageSize < 0 || VideoFrames < 0 || PromptTokens < 0 || OutputTokens < 1)
        {
            throw new ArgumentException("synthetic workload: items and output tokens must be at least 1; images, image size, frames and prompt tokens not negative");
        }
        var item = new WorkloadItem(ImagesPerItem, ImageSize, VideoFrames, PromptTokens, OutputTokens);
        var workload = new Workload(Describe(), [.. Enumerable.Repeat(item, Items)]);
        return RatePerSecond is { } rate ? workload.WithPoissonArrivals(rate, Seed) : workload;
    }

    private string Describe()
    {
        var media = VideoFrames > 0 ? $"{VideoFrames}-frame video" : $"{ImagesPerItem} image(s){(ImageSize > 0 ? $" of {ImageSize}px" : "")}";
        // Online workloads get their arrival process named by WithPoissonArrivals.
        var arrival = RatePerSecond is null ? ", offline" : "";
        return $"synthetic: {Items} items, {media}, {PromptTokens} prompt + {OutputTokens} output tokens{arrival}";
    }
}
