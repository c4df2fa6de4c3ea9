using EpdBatch.Pipeline;

namespace EpdBatch.Ingest.Scheduling;

/// <summary>A schedule as <c>epd schedule list</c> shows it (its table and its <c>--json</c>).</summary>
public sealed record ScheduleStatus(ScheduleDefinition Definition, ScheduleState State, DateTimeOffset? NextRun)
{
    /// <summary>
    /// The status of <paramref name="definition"/> with its URIs redacted (<see cref="SecretRedactor"/>): a schedule
    /// added before SAS tokens were dropped on <c>schedule add</c> may still hold one in Redis.
    /// </summary>
    internal static ScheduleStatus Of(ScheduleDefinition definition, ScheduleState state, DateTimeOffset? nextRun) =>
        new(definition with { ManifestUri = SecretRedactor.Redact(definition.ManifestUri), OutputUri = SecretRedactor.Redact(definition.OutputUri) }, state, nextRun);
}
