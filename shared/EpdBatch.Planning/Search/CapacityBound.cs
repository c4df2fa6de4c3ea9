using EpdBatch.Planning.Profiles;
using EpdBatch.Planning.Simulation;

namespace EpdBatch.Planning.Search;

/// <summary>
/// An optimistic throughput (items/s) for a configuration from the mean item: every stage at its most efficient
/// batch within its limit, never idle, transfers overlapped. A pipeline runs no faster than its slowest stage, a
/// time-shared GPU no faster than the sum of its stages. The planner simulates configurations in order of this
/// bound and stops where no bound left can reach the top.
/// </summary>
internal static class CapacityBound
{
    public static double ItemsPerSecond(StageCostModel cost, PipelineConfiguration config, PreparedWorkload w)
    {
        var bound = double.PositiveInfinity;
        foreach (var group in config.Layout.Groups)
        {
            var roles = group.Roles;
            // A colocated GPU admits at most its decode slots; its forwards are no larger.
            var admit = roles.HasFlag(StageRoles.Decode) && roles != StageRoles.Decode ? config.DecoderMaxBatch : int.MaxValue;
            var seconds = 0.0;
            if (roles.HasFlag(StageRoles.Encode))
            {
                seconds += EncodePerItem(cost, Math.Min(config.Encoder.MaxBatchSize, admit), w);
            }
            if (roles.HasFlag(StageRoles.Prefill))
            {
                seconds += PrefillPerItem(cost, Math.Min(config.Prefill.MaxBatchSize, admit), w);
            }
            if (roles.HasFlag(StageRoles.Decode))
            {
                seconds += DecodePerItem(cost, config.DecoderMaxBatch, w);
            }
            if (seconds > 0)
            {
                bound = Math.Min(bound, group.Count / seconds);
            }
        }
        return bound;
    }

    /// <summary>Online: nothing finishes before it arrives, so no run beats the arrival rate (exactly, no slack needed).</summary>
    public static double ArrivalCap(PreparedWorkload w) => w.Arrival[^1] > 0 ? w.Count / w.Arrival[^1] : double.PositiveInfinity;

    private static double EncodePerItem(StageCostModel cost, int maxBatch, PreparedWorkload w)
    {
        if (w.MeanTiles <= 0)
        {
            return 0;
        }
        var best = double.PositiveInfinity;
        foreach (var b in Sizes(maxBatch))
        {
            best = Math.Min(best, cost.EncodeSeconds((int)Math.Ceiling(b * w.MeanTiles)) / b);
        }
        return best;
    }

    private static double PrefillPerItem(StageCostModel cost, int maxBatch, PreparedWorkload w)
    {
        var best = double.PositiveInfinity;
        var length = (int)Math.Round(w.MeanPromptTokens);
        foreach (var b in Sizes(maxBatch))
        {
            best = Math.Min(best, cost.PrefillSeconds(b, length) / b);
        }
        return best;
    }

    private static double DecodePerItem(StageCostModel cost, int maxBatch, PreparedWorkload w)
    {
        var steps = w.MeanOutputTokens - 1;
        if (steps <= 0)
        {
            return 0;
        }
        var context = (int)Math.Round(w.MeanPromptTokens + w.MeanOutputTokens / 2);
        var best = double.PositiveInfinity;
        foreach (var b in Sizes(maxBatch))
        {
            best = Math.Min(best, steps * cost.DecodeStepSeconds(b, context) / b);
        }
        return best;
    }

    /// <summary>1, 2, 4, … up to and including the limit.</summary>
    private static IEnumerable<int> Sizes(int max)
    {
        for (var b = 1; b < max; b *= 2)
        {
            yield return b;
        }
        yield return max;
    }
}
