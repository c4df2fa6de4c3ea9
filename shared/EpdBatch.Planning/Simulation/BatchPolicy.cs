namespace EpdBatch.Planning.Simulation;

/// <summary>
/// How a disaggregated stage forms batches, as its worker's options do (<c>MaxBatchSize</c>, <c>MaxBatchWaitMs</c>):
/// a batch starts when it is full, or when its oldest item has waited <see cref="MaxWaitSeconds"/>.
/// </summary>
/// <param name="MaxBatchSize">Items per forward at most.</param>
/// <param name="MaxWaitSeconds">Longest wait for a partial batch to fill.</param>
public sealed record BatchPolicy(int MaxBatchSize, double MaxWaitSeconds = 0.02);
