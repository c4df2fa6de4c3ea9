using EpdBatch.Planning.Profiles;
using EpdBatch.Planning.Workloads;

namespace EpdBatch.Planning.Simulation;

/// <summary>
/// A workload resolved against a profile once (tower inputs, prompt tokens after expansion, payload bytes), in
/// arrival order, as flat arrays: every simulation of a search reads the same one.
/// </summary>
internal sealed class PreparedWorkload
{
    private PreparedWorkload(int count)
    {
        Count = count;
        Tiles = new int[count];
        PromptTokens = new int[count];
        OutputTokens = new int[count];
        Arrival = new double[count];
        MultimodalBytes = new long[count];
        KvBytes = new long[count];
    }

    public string Name { get; private init; } = "";
    public int Count { get; }
    public int[] Tiles { get; }
    public int[] PromptTokens { get; }
    public int[] OutputTokens { get; }
    public double[] Arrival { get; }
    public long[] MultimodalBytes { get; }
    public long[] KvBytes { get; }

    public bool HasMedia { get; private set; }
    public double MeanTiles { get; private set; }
    public double MeanPromptTokens { get; private set; }
    public double MeanOutputTokens { get; private set; }
    public int MaxTiles { get; private set; }
    public int MaxPromptTokens { get; private set; }

    /// <summary>Prompt + output of the longest item: the positions a decoder slot must hold.</summary>
    public int MaxSequenceTokens { get; private set; }

    public static PreparedWorkload Create(Workload workload, StageProfile profile)
    {
        if (workload.Items.Count == 0)
        {
            throw new ArgumentException("the workload has no items");
        }
        var order = Enumerable.Range(0, workload.Items.Count).OrderBy(i => workload.Items[i].ArrivalSeconds).ThenBy(i => i).ToArray();
        var prepared = new PreparedWorkload(order.Length) { Name = workload.Name };
        var tooLong = 0;
        var firstTooLong = "";
        double tiles = 0, prompt = 0, output = 0;
        for (var k = 0; k < order.Length; k++)
        {
            var item = workload.Items[order[k]];
            if (item.Images < 0 || item.VideoFrames < 0 || item.TextTokens < 0 || item.OutputTokens < 1 || !(item.ArrivalSeconds >= 0))
            {
                throw new ArgumentException($"workload item {order[k]}: images, frames, prompt tokens and arrival must not be negative, output tokens at least 1");
            }
            var imageTiles = item.Images * profile.TilesPerImage(item.ImageSize);
            var mediaTokens = imageTiles * profile.TokensPerImage + (int)Math.Ceiling(item.VideoFrames * profile.TokensPerVideoFrame);
            prepared.Tiles[k] = imageTiles + item.VideoFrames;
            prepared.PromptTokens[k] = item.TextTokens + mediaTokens;
            prepared.OutputTokens[k] = item.OutputTokens;
            prepared.Arrival[k] = item.ArrivalSeconds;
            prepared.MultimodalBytes[k] = mediaTokens * profile.MultimodalBytesPerToken;
            prepared.KvBytes[k] = prepared.PromptTokens[k] * profile.KvBytesPerToken;
            var sequence = prepared.PromptTokens[k] + item.OutputTokens;
            if (profile.ContextLength > 0 && sequence > profile.ContextLength)
            {
                if (tooLong++ == 0)
                {
                    firstTooLong = $"item {order[k]}: {prepared.PromptTokens[k]} prompt tokens ({mediaTokens} multimodal) + {item.OutputTokens} output";
                }
            }
            tiles += prepared.Tiles[k];
            prompt += prepared.PromptTokens[k];
            output += item.OutputTokens;
            prepared.MaxTiles = Math.Max(prepared.MaxTiles, prepared.Tiles[k]);
            prepared.MaxPromptTokens = Math.Max(prepared.MaxPromptTokens, prepared.PromptTokens[k]);
            prepared.MaxSequenceTokens = Math.Max(prepared.MaxSequenceTokens, sequence);
        }
        if (tooLong > 0)
        {
            throw new ArgumentException($"{tooLong} item(s) exceed the model's context of {profile.ContextLength} tokens, e.g. {firstTooLong}");
        }
        prepared.HasMedia = tiles > 0;
        prepared.MeanTiles = tiles / order.Length;
        prepared.MeanPromptTokens = prompt / order.Length;
        prepared.MeanOutputTokens = output / order.Length;
        return prepared;
    }
}
