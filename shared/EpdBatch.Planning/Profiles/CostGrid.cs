namespace EpdBatch.Planning.Profiles;

/// <summary>
/// Measured seconds over a grid of batch size × a length (prompt tokens for prefill, context for a decode step).
/// <see cref="StageCostModel"/> interpolates bilinearly and extends the edge cells linearly beyond the grid, which
/// is exact for a cost proportional to batch × length.
/// </summary>
/// <param name="Batches">Increasing batch sizes, at least one.</param>
/// <param name="Lengths">Increasing lengths, at least one.</param>
/// <param name="Seconds"><c>Seconds[batchIndex][lengthIndex]</c>.</param>
public sealed record CostGrid(IReadOnlyList<double> Batches, IReadOnlyList<double> Lengths, IReadOnlyList<IReadOnlyList<double>> Seconds)
{
    /// <summary>Throws a one-line <see cref="InvalidDataException"/> naming <paramref name="name"/> if the grid is unusable.</summary>
    public void Validate(string name)
    {
        if (Batches is null || Lengths is null || Seconds is null || Batches.Count == 0 || Lengths.Count == 0 || Seconds.Count != Batches.Count)
        {
            throw new InvalidDataException($"profile: {name} needs one row of seconds per batch size, and at least one batch size and length");
        }
        CheckIncreasing(Batches, name, "batches");
        CheckIncreasing(Lengths, name, "lengths");
        foreach (var row in Seconds)
        {
            if (row is null || row.Count != Lengths.Count)
            {
                throw new InvalidDataException($"profile: {name} needs {Lengths.Count} seconds in every row");
            }
            foreach (var s in row)
            {
                if (!(s >= 0) || double.IsInfinity(s))
                {
                    throw new InvalidDataException($"profile: {name} seconds must be finite and non-negative");
                }
            }
        }
    }

    private static void CheckIncreasing(IReadOnlyList<double> axis, string name, string axisName)
    {
        for (var i = 0; i < axis.Count; i++)
        {
            if (!(axis[i] > 0) || (i > 0 && !(axis[i] > axis[i - 1])))
            {
                throw new InvalidDataException($"profile: {name} {axisName} must be positive and increasing");
            }
        }
    }
}
