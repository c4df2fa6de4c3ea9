using EpdBatch.Planning.Profiles;
using EpdBatch.Planning.Simulation;

namespace EpdBatch.Planning.Search;

/// <summary>
/// Whether each GPU of a configuration holds what its stages need: their weights, the decoder's KV cache (every
/// slot sized for the longest item, as the decoder preallocates it), and the larger of the encoder's and the
/// prefill's working memory. Always true where the profile does not know the device's memory.
/// </summary>
internal static class MemoryFit
{
    public static bool Fits(MemoryProfile memory, long kvBytesPerToken, PipelineConfiguration config, PreparedWorkload w)
    {
        if (!memory.IsKnown)
        {
            return true;
        }
        foreach (var group in config.Layout.Groups)
        {
            if (Needed(memory, kvBytesPerToken, config, group.Roles, w) > memory.DeviceBytes)
            {
                return false;
            }
        }
        return true;
    }

    public static double Needed(MemoryProfile memory, long kvBytesPerToken, PipelineConfiguration config, StageRoles roles, PreparedWorkload w)
    {
        double weights = 0, resident = 0, working = 0;
        if (roles.HasFlag(StageRoles.Encode))
        {
            weights += memory.VisionWeightBytes;
            working = Math.Max(working, (double)config.Encoder.MaxBatchSize * w.MaxTiles * memory.EncoderActivationBytesPerImage);
        }
        if (roles.HasFlag(StageRoles.Prefill) || roles.HasFlag(StageRoles.Decode))
        {
            weights += memory.LanguageWeightBytes;
        }
        if (roles.HasFlag(StageRoles.Prefill))
        {
            // The batch's activations and the KV cache it produces.
            working = Math.Max(working, (double)config.Prefill.MaxBatchSize * w.MaxPromptTokens * (memory.PrefillActivationBytesPerToken + kvBytesPerToken));
        }
        if (roles.HasFlag(StageRoles.Decode))
        {
            resident += (double)config.DecoderMaxBatch * w.MaxSequenceTokens * kvBytesPerToken;
        }
        return weights + resident + working;
    }
}
