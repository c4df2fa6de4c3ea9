using EpdBatch.Planning.Simulation;

namespace EpdBatch.PipelineBench;

/// <summary>
/// A configuration's prediction (shared CPU with the services' own CPU per item) beside its measured runs, with two
/// simpler models for comparison: the forwards alone on the shared CPU, and a device per replica.
/// </summary>
internal sealed record ValidationRow(ValidationSetting Setting, SimulationResult Predicted, SimulationResult ForwardsOnly, SimulationResult Separate, IReadOnlyList<ValidationRun> Runs)
{
    public double MeasuredMedian => BenchReport.ExactMedian(Runs.Select(r => r.ItemsPerSecond));

    /// <summary>(predicted − measured) / measured, in percent.</summary>
    public double ErrorPercent => 100 * (Predicted.ItemsPerSecond - MeasuredMedian) / MeasuredMedian;

    public double ForwardsOnlyErrorPercent => 100 * (ForwardsOnly.ItemsPerSecond - MeasuredMedian) / MeasuredMedian;

    public double SeparateErrorPercent => 100 * (Separate.ItemsPerSecond - MeasuredMedian) / MeasuredMedian;
}
