using System.Text.Json.Nodes;

namespace EpdBatch.Bench;

/// <summary>The files that describe one benchmark model: everything in the folder except the weights.</summary>
internal sealed record ModelShape(
    string Name,
    string Description,
    JsonObject Config,
    JsonObject GenerationConfig,
    JsonObject PreprocessorConfig,
    JsonObject? VideoPreprocessorConfig);
