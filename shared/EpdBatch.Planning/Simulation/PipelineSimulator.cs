using EpdBatch.Planning.Profiles;
using EpdBatch.Planning.Workloads;

namespace EpdBatch.Planning.Simulation;

/// <summary>
/// Discrete-event simulation of the queued EPD pipeline on a profile's costs: replicas, their batching and batch
/// waits, continuous batching in decode, transfers between GPUs, and colocated GPUs that time-share stages.
/// Deterministic: the same configuration and workload (online arrivals come from a seed) give the same result.
/// </summary>
public sealed class PipelineSimulator
{
    /// <param name="profile">The stages' costs.</param>
    /// <param name="shareDevice">
    /// Whether every replica runs on one shared device (the profile's <see cref="StageProfile.SharedDevice"/>, a CPU
    /// machine) rather than on a device of its own; null: as the profile says (shared where it has the measurement).
    /// </param>
    public PipelineSimulator(StageProfile profile, bool? shareDevice = null)
        : this(new StageCostModel(profile), shareDevice)
    {
    }

    public PipelineSimulator(StageCostModel cost, bool? shareDevice = null)
    {
        Cost = cost;
        if (shareDevice == true && cost.Profile.SharedDevice is null)
        {
            throw new ArgumentException("the profile has no shared-device measurement (epd plan profile takes one on a CPU); simulate with a device per replica");
        }
        Sharing = shareDevice == false ? null : cost.Profile.SharedDevice;
    }

    public StageCostModel Cost { get; }

    /// <summary>The shared device every replica runs on, or null for a device per replica.</summary>
    public DeviceSharing? Sharing { get; }

    public SimulationResult Run(PipelineConfiguration configuration, Workload workload, ServiceTargets? targets = null) =>
        Run(configuration, Prepare(workload), targets);

    internal PreparedWorkload Prepare(Workload workload) => PreparedWorkload.Create(workload, Cost.Profile);

    internal SimulationResult Run(PipelineConfiguration configuration, PreparedWorkload workload, ServiceTargets? targets)
    {
        configuration.Validate(workload.HasMedia);
        return new SimulationRun(Cost, configuration, workload, Sharing).Run(targets);
    }
}
