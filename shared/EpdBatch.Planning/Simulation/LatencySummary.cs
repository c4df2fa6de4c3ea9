namespace EpdBatch.Planning.Simulation;

/// <summary>A latency distribution in seconds.</summary>
public sealed record LatencySummary(int Count, double Mean, double P50, double P95, double P99, double Max)
{
    public static LatencySummary Empty { get; } = new(0, 0, 0, 0, 0, 0);

    /// <summary>Summarises the first <paramref name="count"/> values (sorted in place).</summary>
    public static LatencySummary From(double[] values, int count)
    {
        if (count == 0)
        {
            return Empty;
        }
        Array.Sort(values, 0, count);
        var sum = 0.0;
        for (var i = 0; i < count; i++)
        {
            sum += values[i];
        }
        return new LatencySummary(count, sum / count, Percentile(values, count, 0.50), Percentile(values, count, 0.95), Percentile(values, count, 0.99), values[count - 1]);
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    private static double Percentile(double[] sorted, int count, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * count) - 1, 0, count - 1)];
}
