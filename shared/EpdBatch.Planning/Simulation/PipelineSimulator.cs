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
    public PipelineSimulator(StageProfile profile)
        : this(new StageCostModel(profile))
    {
    }

    public PipelineSimulator(StageCostModel cost) => Cost = cost;

    public StageCostModel Cost { get; }

    public SimulationResult Run(PipelineConfiguration configuration, Workload workload, ServiceTargets? targets = null) =>
        Run(configuration, Prepare(workload), targets);

    internal PreparedWorkload Prepare(Workload workload) => PreparedWorkload.Create(workload, Cost.Profile);

    internal SimulationResult Run(PipelineConfiguration configuration, PreparedWorkload workload, ServiceTargets? targets)
    {
        configuration.Validate(workload.HasMedia);
        return new SimulationRun(Cost, configuration, workload).Run(targets);
    }
}
