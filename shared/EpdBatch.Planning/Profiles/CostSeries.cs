namespace EpdBatch.Planning.Profiles;

/// <summary>
/// Measured seconds at increasing sizes of one quantity (images in an encoder batch, bytes in a transfer).
/// <see cref="StageCostModel"/> interpolates linearly between the points and extends the last segment beyond them.
/// </summary>
/// <param name="Sizes">Increasing sizes, at least one.</param>
/// <param name="Seconds">Seconds at each size.</param>
public sealed record CostSeries(IReadOnlyList<double> Sizes, IReadOnlyList<double> Seconds)
{
    /// <summary>Throws a one-line <see cref="InvalidDataException"/> naming <paramref name="name"/> if the series is unusable.</summary>
    public void Validate(string name)
    {
        if (Sizes is null || Seconds is null || Sizes.Count == 0 || Sizes.Count != Seconds.Count)
        {
            throw new InvalidDataException($"profile: {name} needs as many sizes as seconds, at least one");
        }
        for (var i = 0; i < Sizes.Count; i++)
        {
            if (!(Sizes[i] >= 0) || (i > 0 && !(Sizes[i] > Sizes[i - 1])))
            {
                throw new InvalidDataException($"profile: {name} sizes must be non-negative and increasing");
            }
            if (!(Seconds[i] >= 0) || double.IsInfinity(Seconds[i]))
            {
                throw new InvalidDataException($"profile: {name} seconds must be finite and non-negative");
            }
        }
    }
}
