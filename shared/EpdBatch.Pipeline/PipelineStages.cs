namespace EpdBatch.Pipeline;

/// <summary>
/// The names of the stages: the argument of <c>epd serve &lt;stage&gt;</c> and the <c>Stage</c> of a failed item.
/// </summary>
public static class PipelineStages
{
    public const string Ingest = "ingest";
    public const string Encoder = "encoder";
    public const string Prefill = "prefill";
    public const string Decoder = "decoder";

    /// <summary>Not a stage one can serve: the <c>Stage</c> of a failure that a store raised before a stage claimed it.</summary>
    public const string Storage = "storage";

    /// <summary>The stages that <c>epd serve</c> runs, in pipeline order.</summary>
    public static IReadOnlyList<string> All { get; } = [Ingest, Encoder, Prefill, Decoder];

    public static bool IsStage(string? name) => name is not null && All.Contains(name, StringComparer.Ordinal);
}
