namespace EpdBatch.Planning.Simulation;

/// <summary>One stage over a simulation.</summary>
/// <param name="Workers">GPUs that run the stage (alone or time-shared).</param>
/// <param name="BusySeconds">GPU-seconds spent on the stage.</param>
/// <param name="GpuEquivalents">BusySeconds over the makespan: how many GPUs' worth the stage kept busy.</param>
/// <param name="BusyShare">BusySeconds over the time of the GPUs that run it.</param>
/// <param name="MeanBatchSize">Items per forward (decode: sequences per step).</param>
/// <param name="Batches">Forwards (decode: steps).</param>
/// <param name="PeakQueueLength">Most items waiting for the stage at once.</param>
public sealed record StageReport(PipelineStage Stage, int Workers, double BusySeconds, double GpuEquivalents, double BusyShare, double MeanBatchSize, long Batches, int PeakQueueLength)
{
    /// <summary>
    /// The stage's forwards' work: each forward's cost alone on its device, summed. Equal to <see cref="BusySeconds"/>
    /// on a device per replica; less on a shared device, where forwards that run at once stretch each other.
    /// </summary>
    public double WorkSeconds { get; init; }
}
