using EpdBatch.Planning.Simulation;

namespace EpdBatch.Planning.Search;

/// <summary>What a search found: the best configurations, and the best of each family side by side.</summary>
public sealed record PlanResult
{
    public required int Gpus { get; init; }

    public required PlannerObjective Objective { get; init; }

    public required string Workload { get; init; }

    /// <summary>Items in the job.</summary>
    public required int TotalItems { get; init; }

    /// <summary>Items simulated per configuration (a sample where the job is larger; rates are projected to the job).</summary>
    public required int SimulatedItems { get; init; }

    /// <summary>
    /// Prompt + output tokens of the longest simulated item: the positions each decoder slot must hold, which the memory
    /// check assumed (the decoder's <c>MaxContext</c>; left at the model's context, every slot would reserve all of it).
    /// </summary>
    public int MaxSequenceTokens { get; init; }

    /// <summary>The best configurations, best first (ties: fewer GPUs first).</summary>
    public required IReadOnlyList<PlanCandidate> Top { get; init; }

    public required PlanCandidate BestDisaggregated { get; init; }

    /// <summary>The best layout in which some GPU runs several stages; null where colocated layouts were not searched.</summary>
    public PlanCandidate? BestColocated { get; init; }

    public required int Considered { get; init; }

    public required int Simulated { get; init; }

    /// <summary>Configurations left out because weights, KV cache and activations do not fit a GPU.</summary>
    public required int SkippedForMemory { get; init; }

    public required TimeSpan Elapsed { get; init; }

    public PlanCandidate Winner => Top[0];

    public PipelineConfiguration Recommended => Winner.Configuration;

    /// <summary>
    /// The best configuration the distributed pipeline deploys as it is (each stage its own service, on GPUs of
    /// its own): the winner, unless a colocated baseline won, then the best disaggregated one.
    /// </summary>
    public PlanCandidate Deployable => Winner.Configuration.Layout.IsColocated ? BestDisaggregated : Winner;
}
