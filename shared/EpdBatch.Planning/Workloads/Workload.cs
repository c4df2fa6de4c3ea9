namespace EpdBatch.Planning.Workloads;

/// <summary>The items the simulator runs, in arrival order. Build one with <see cref="SyntheticWorkload"/> or <see cref="ManifestWorkload"/>.</summary>
public sealed record Workload(string Name, IReadOnlyList<WorkloadItem> Items)
{
    /// <summary>Whether items arrive over time (online) rather than all at the start (offline).</summary>
    public bool IsOnline
    {
        get
        {
            foreach (var item in Items)
            {
                if (item.ArrivalSeconds > 0)
                {
                    return true;
                }
            }
            return false;
        }
    }

    /// <summary>The same items arriving as a Poisson process: exponential gaps at <paramref name="ratePerSecond"/>, from <paramref name="seed"/>.</summary>
    public Workload WithPoissonArrivals(double ratePerSecond, int seed)
    {
        if (!(ratePerSecond > 0) || double.IsInfinity(ratePerSecond))
        {
            throw new ArgumentException($"arrival rate must be a positive number of items per second (got {ratePerSecond})");
        }
        var random = new Random(seed);
        var t = 0.0;
        var items = new WorkloadItem[Items.Count];
        for (var i = 0; i < items.Length; i++)
        {
            t += -Math.Log(1 - random.NextDouble()) / ratePerSecond;
            items[i] = Items[i] with { ArrivalSeconds = t };
        }
        return new Workload($"{Name} (Poisson {ratePerSecond:G4}/s, seed {seed})", items);
    }

    /// <summary>An evenly spaced sample of at most <paramref name="count"/> items (all of them if fewer), arrival times kept.</summary>
    public Workload Sample(int count)
    {
        if (count >= Items.Count)
        {
            return this;
        }
        var items = new WorkloadItem[count];
        for (var i = 0; i < count; i++)
        {
            items[i] = Items[(int)((long)i * Items.Count / count)];
        }
        if (IsOnline)
        {
            // Keep the arrival rate: the sample's gaps are the originals' scaled by the sampling ratio.
            var scale = (double)count / Items.Count;
            for (var i = 0; i < count; i++)
            {
                items[i] = items[i] with { ArrivalSeconds = items[i].ArrivalSeconds * scale };
            }
        }
        return new Workload($"{Name} [sample of {count}]", items);
    }
}
