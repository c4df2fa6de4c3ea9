namespace EpdBatch.Planning.Simulation;

/// <summary>What one simulated run of a workload through a configuration yields.</summary>
public sealed record SimulationResult
{
    public required PipelineConfiguration Configuration { get; init; }

    public required int Items { get; init; }

    /// <summary>From the start (t = 0) to the last item's last token.</summary>
    public required double MakespanSeconds { get; init; }

    /// <summary>Whether every replica shared one device (a CPU machine) rather than having a device of its own.</summary>
    public bool SharedDevice { get; init; }

    /// <summary>Seconds of one core that the services' own work took beside the forwards (the profile's <c>serviceCost</c>; shared device only).</summary>
    public double ServiceSeconds { get; init; }

    public double ItemsPerSecond => MakespanSeconds > 0 ? Items / MakespanSeconds : 0;

    public required double OutputTokensPerSecond { get; init; }

    /// <summary>
    /// Completions per second between the 20th and the 80th percentile of finish times: the rate once the
    /// pipeline is full, without its fill and drain.
    /// </summary>
    public required double SteadyItemsPerSecond { get; init; }

    /// <summary>Arrival to first token (the end of the item's prefill).</summary>
    public required LatencySummary Ttft { get; init; }

    /// <summary>
    /// Per output token after the first: (last token − first token) / (output − 1), so a wait for a decoder slot
    /// counts (items with one output token have none).
    /// </summary>
    public required LatencySummary Tpot { get; init; }

    /// <summary>Arrival to last token.</summary>
    public required LatencySummary Latency { get; init; }

    public ServiceTargets? Targets { get; init; }

    /// <summary>Items within both targets (all items where no targets were given).</summary>
    public required int ItemsMeetingTargets { get; init; }

    /// <summary>Items within targets per second.</summary>
    public double Goodput => MakespanSeconds > 0 ? ItemsMeetingTargets / MakespanSeconds : 0;

    public required IReadOnlyList<StageReport> Stages { get; init; }

    public required IReadOnlyList<WorkerReport> Workers { get; init; }

    /// <summary>Largest encoder batch formed (or, on an encode+prefill GPU, items admitted at once).</summary>
    public int PeakEncoderBatch { get; init; }

    /// <summary>Largest prefill batch formed.</summary>
    public int PeakPrefillBatch { get; init; }

    /// <summary>Most sequences a decoder held or had been handed at once (on a colocated GPU: items admitted).</summary>
    public int PeakDecoderSequences { get; init; }

    /// <summary>Whether a batch size lay beyond the profile's measurements (its cost is extrapolated).</summary>
    public bool Extrapolated { get; init; }

    public StageReport Stage(PipelineStage stage) => Stages[(int)stage];

    /// <summary>
    /// Items/s of a job of <paramref name="totalItems"/> like these (a sample of it was simulated): this run's
    /// makespan plus the items left at the steady rate.
    /// </summary>
    public double ProjectItemsPerSecond(int totalItems)
    {
        if (totalItems <= Items || SteadyItemsPerSecond <= 0)
        {
            return ItemsPerSecond;
        }
        return totalItems / (MakespanSeconds + (totalItems - Items) / SteadyItemsPerSecond);
    }
}
