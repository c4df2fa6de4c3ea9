using EpdBatch.Planning.Simulation;

namespace EpdBatch.Planning.Search;

/// <summary>A simulated configuration, its score under the objective, and the analytic throughput bound it was ranked by.</summary>
/// <param name="ItemsPerSecond">Throughput of the whole job (projected from the simulated sample where the job is larger).</param>
/// <param name="Goodput">Items/s within the targets, projected likewise (the throughput where there are no targets).</param>
public sealed record PlanCandidate(PipelineConfiguration Configuration, SimulationResult Result, double ItemsPerSecond, double Goodput, double Score, double BoundItemsPerSecond);
