namespace EpdBatch.Pipeline.Reliability;

/// <summary>
/// Counts deliveries of each item to each stage, for crash-loop detection (RabbitMQ's classic queues keep no
/// delivery count), and the per-job reliability counters (<see cref="ReliabilityCounters"/>). Redis in the
/// distributed mode, so that a count survives the worker that died; in-process in the embedded one.
/// </summary>
public interface IDeliveryLedger
{
    /// <summary>
    /// Counts one more delivery of (stage, job, item) and returns the count, 1 for the first; a count above 1 also
    /// adds one to the job's <see cref="ReliabilityCounters.Redeliveries"/> of the stage.
    /// </summary>
    Task<long> CountDeliveryAsync(string stage, string jobId, int itemIndex, TimeSpan ttl, CancellationToken ct);

    /// <summary>The item left the stage (finished or failed for good): forget its deliveries.</summary>
    Task ClearDeliveriesAsync(string stage, string jobId, int itemIndex, CancellationToken ct);

    /// <summary>Adds one to a job's counter (<see cref="ReliabilityCounters"/>).</summary>
    Task IncrementAsync(string jobId, string counter, CancellationToken ct);

    /// <summary>The job's counters by name; a counter never incremented is absent.</summary>
    Task<IReadOnlyDictionary<string, long>> GetCountersAsync(string jobId, CancellationToken ct);
}
