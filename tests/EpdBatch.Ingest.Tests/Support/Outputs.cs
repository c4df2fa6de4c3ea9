using System.Text.Json.Nodes;

namespace EpdBatch.Ingest.Tests.Support;

/// <summary>Reading the JSONL outputs back.</summary>
internal static class Outputs
{
    public static List<JsonObject> ParseLines(string? text) =>
        (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

    public static string CustomId(JsonObject line) => (string)line["custom_id"]!;
}
