namespace EpdBatch.Planning.Search;

/// <summary>What the planner maximises.</summary>
public enum ObjectiveKind
{
    /// <summary>Items per second: for offline jobs, where only the makespan matters.</summary>
    Throughput,

    /// <summary>Items per second that meet the TTFT and TPOT targets: for online serving.</summary>
    Goodput,
}
