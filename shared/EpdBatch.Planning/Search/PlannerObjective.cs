using EpdBatch.Planning.Simulation;

namespace EpdBatch.Planning.Search;

/// <summary>
/// The planner's score of a simulated configuration: throughput or goodput (items/s), minus
/// <see cref="GpuCost"/> items/s for every GPU it uses, so that a GPU that adds less than that is left out.
/// </summary>
public sealed record PlannerObjective(ObjectiveKind Kind, ServiceTargets? Targets = null, double GpuCost = 0)
{
    public static PlannerObjective Throughput(double gpuCost = 0) => new(ObjectiveKind.Throughput, null, gpuCost);

    public static PlannerObjective Goodput(ServiceTargets targets, double gpuCost = 0) => new(ObjectiveKind.Goodput, targets, gpuCost);

    public void Validate()
    {
        if (Kind == ObjectiveKind.Goodput && Targets is null)
        {
            throw new ArgumentException("the goodput objective needs TTFT and TPOT targets");
        }
        if (Targets is { } t && (!(t.TtftSeconds > 0) || !(t.TpotSeconds > 0)))
        {
            throw new ArgumentException("TTFT and TPOT targets must be positive");
        }
        if (!(GpuCost >= 0))
        {
            throw new ArgumentException("the GPU cost must not be negative");
        }
    }

    /// <summary>
    /// The job's throughput and goodput (items/s) from a simulated run. Offline: the whole job's rate, projected
    /// from a simulated sample where the job has <paramref name="totalItems"/> more items. Online: the steady
    /// completion rate, since a finite run's last items drain long after arrivals stop and would understate it.
    /// </summary>
    public static (double Throughput, double Goodput) Rates(SimulationResult result, int totalItems, bool online)
    {
        var throughput = online ? result.SteadyItemsPerSecond : result.ProjectItemsPerSecond(totalItems);
        return (throughput, throughput * result.ItemsMeetingTargets / result.Items);
    }

    /// <summary>What the objective counts (throughput or goodput), less the GPU cost.</summary>
    public double Score(double throughput, double goodput, int gpus) =>
        (Kind == ObjectiveKind.Throughput ? throughput : goodput) - GpuCost * gpus;

    public override string ToString() => Kind == ObjectiveKind.Throughput
        ? $"throughput{CostText}"
        : $"goodput (TTFT ≤ {Targets!.TtftSeconds * 1000:G4} ms, TPOT ≤ {Targets.TpotSeconds * 1000:G4} ms){CostText}";

    private string CostText => GpuCost > 0 ? $" − {GpuCost:G4}/s per GPU" : "";
}
