namespace EpdBatch.PipelineBench;

/// <summary>
/// One stage's time over a run; null where a mode cannot measure it.
/// <list type="bullet">
/// <item><see cref="ItemBusyMsMean"/>: an item's time inside the stage, from pick-up to hand-off (in the services
/// the consumer's time: download, the wait for its batch and the batch itself, store writes; so it is about a batch's
/// duration, not a per-item share of the model's time).</item>
/// <item><see cref="QueueWaitMsP50"/>/<see cref="QueueWaitMsP95"/>: from the item's hand-off by the previous stage
/// (or the job's start) to this stage's pick-up (for decode, to its admission into the batch).</item>
/// <item><see cref="ModelBusyMs"/>: the stage's model calls summed (its model thread's busy time).</item>
/// <item><see cref="CpuSeconds"/>: CPU time (all threads) of the stage's process (four-process run) or of this
/// process while the stage ran (direct, sequential).</item>
/// </list>
/// </summary>
internal sealed record StageFigures(
    int Items,
    double? ItemBusyMsMean,
    double? QueueWaitMsP50,
    double? QueueWaitMsP95,
    double? ModelBusyMs,
    double? CpuSeconds)
{
    public double? ModelBusyMsPerItem => ModelBusyMs is { } busy && Items > 0 ? Math.Round(busy / Items, 1) : null;

    /// <summary>Nearest-rank percentile, as the job summary computes it.</summary>
    public static double? Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return null;
        }
        var rank = (int)Math.Ceiling(p * sorted.Length);
        return Math.Round(sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)], 1);
    }
}
