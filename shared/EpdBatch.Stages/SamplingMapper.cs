using System.IO.Hashing;
using System.Text;
using EpdBatch.Contracts;
using EpdBatch.Model.Sampling;

namespace EpdBatch.Stages;

/// <summary>Maps an item's wire sampling settings to the runtime's, with the model's stop ids.</summary>
public static class SamplingMapper
{
    /// <summary>
    /// An item without a seed gets one derived from (job, item): a redelivered or retried item samples the same
    /// tokens, and prefill and decode (in different processes) agree on it.
    /// </summary>
    public static SamplingParams ToRuntime(SamplingSettings settings, string jobId, int itemIndex, IReadOnlyCollection<int> stopTokenIds) => new()
    {
        MaxNewTokens = settings.MaxTokens,
        Temperature = settings.Temperature,
        TopP = settings.TopP,
        TopK = settings.TopK,
        Seed = settings.Seed ?? XxHash64.HashToUInt64(Encoding.UTF8.GetBytes($"{jobId}/{itemIndex}")),
        StopTokenIds = stopTokenIds,
    };
}
