namespace EpdBatch.Pipeline.Reliability;

/// <summary>Names of the per-job reliability counters of <see cref="IDeliveryLedger"/>: <c>&lt;kind&gt;:&lt;stage&gt;</c>.</summary>
public static class ReliabilityCounters
{
    /// <summary>Deliveries of an item to a stage after its first (a worker died or stopped mid-item, or a duplicate).</summary>
    public static string Redeliveries(string stage) => "redeliveries:" + stage;

    /// <summary>Items that a stage sent back to the encoder because their tokens or KV snapshot were gone.</summary>
    public static string Recoveries(string stage) => "recoveries:" + stage;

    /// <summary>Items that a stage failed with <c>crash_loop</c>.</summary>
    public static string CrashLoops(string stage) => "crash_loops:" + stage;

    /// <summary>The sum of the counters of one kind (<c>redeliveries</c>, <c>recoveries</c>, <c>crash_loops</c>) over every stage.</summary>
    public static long Total(IReadOnlyDictionary<string, long> counters, string kind)
    {
        ArgumentNullException.ThrowIfNull(counters);
        return counters.Where(c => c.Key.StartsWith(kind + ":", StringComparison.Ordinal)).Sum(c => c.Value);
    }
}
