using TorchSharp;
using static EpdBatch.Model.Runtime.Scalars;
using static TorchSharp.torch;

namespace EpdBatch.Model.Sampling;

/// <summary>
/// Picks the next token of every row on the device; the only host transfer is reading the chosen ids. Greedy rows
/// take the argmax; sampled rows apply temperature, top-k and top-p, then invert the CDF at a uniform draw that
/// depends only on the row's seed and step.
/// </summary>
internal static class Sampler
{
    /// <param name="logits">[batch, vocab]</param>
    /// <param name="rows">sampling settings per row; null rows (empty slots) get token 0</param>
    /// <param name="steps">how many tokens each row has produced so far</param>
    /// <param name="vocabLimit">ids at or above this are padding and never chosen</param>
    public static long[] Sample(Tensor logits, IReadOnlyList<SamplingParams?> rows, IReadOnlyList<int> steps, int vocabLimit)
    {
        using var scope = NewDisposeScope();
        var batch = rows.Count;
        var scores = logits.to(ScalarType.Float32);
        var vocab = scores.shape[1];
        if (vocabLimit > 0 && vocabLimit < vocab)
        {
            scores = scores.clone();
            scores.narrow(1, vocabLimit, vocab - vocabLimit).fill_(NegativeInfinity);
        }
        var greedy = scores.argmax(1);                                         // [batch]
        if (rows.All(r => r is null || r.IsGreedy))
        {
            return ToHost(greedy);
        }

        var device = scores.device;
        var temperature = new float[batch];
        var topK = new long[batch];
        var topP = new float[batch];
        var uniform = new float[batch];
        var isGreedy = new bool[batch];
        for (var i = 0; i < batch; i++)
        {
            var row = rows[i];
            isGreedy[i] = row is null || row.IsGreedy;
            temperature[i] = isGreedy[i] ? 1f : row!.Temperature;
            topK[i] = row is { TopK: > 0 } ? Math.Min(row.TopK, vocab) : vocab;
            topP[i] = row?.TopP ?? 1f;
            uniform[i] = row is null ? 0f : (float)SplitMix64.Uniform(row.Seed, steps[i]);
        }
        using var vocabSize = vocab.ToScalar();
        using var lastRank = (vocab - 1).ToScalar();
        var scaled = scores / tensor(temperature, device: device).unsqueeze(1);
        var (sortedScores, sortedIds) = scaled.sort(1, descending: true);     // [batch, vocab]
        var ranks = arange(Zero, vocabSize, One, ScalarType.Int64, device).unsqueeze(0); // [1, vocab]
        var beyondK = ranks >= tensor(topK, device: device).unsqueeze(1);
        sortedScores = sortedScores.masked_fill(beyondK, NegativeInfinity);
        var probs = sortedScores.softmax(1);
        var cumulative = probs.cumsum(1);
        // Keep the smallest prefix whose mass reaches top_p: drop a token once the mass before it already does.
        var beyondP = (cumulative - probs) >= tensor(topP, device: device).unsqueeze(1);
        probs = probs.masked_fill(beyondP, Zero);
        cumulative = probs.cumsum(1);
        var total = cumulative.narrow(1, vocab - 1, 1);                       // [batch, 1]
        var threshold = tensor(uniform, device: device).unsqueeze(1) * total;
        var index = (cumulative <= threshold).sum(1, keepdim: true).clamp_max(lastRank);
        var sampled = sortedIds.gather(1, index).squeeze(1);
        var chosen = where(tensor(isGreedy, device: device), greedy, sampled);
        return ToHost(chosen);
    }

    private static long[] ToHost(Tensor ids)
    {
        using var host = ids.to(ScalarType.Int64).cpu();
        return host.data<long>().ToArray();
    }
}
