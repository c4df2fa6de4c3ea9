using System.Text.Json;
using System.Text.Json.Nodes;

namespace EpdBatch.Model.Config;

/// <summary>Tolerant readers for Hugging Face config files, where a field may be absent, null, or a number written as a float.</summary>
internal static class JsonNodeExtensions
{
    public static int? Int(this JsonObject node, string name) => node[name] switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => (int)v.GetValue<double>(),
        _ => null,
    };

    public static double? Double(this JsonObject node, string name) => node[name] switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.GetValue<double>(),
        _ => null,
    };

    public static bool? Bool(this JsonObject node, string name) => node[name] switch
    {
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        _ => null,
    };

    public static string? Str(this JsonObject node, string name) => node[name] switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => null,
    };

    /// <summary>An int or a list of ints (eos_token_id, vision_feature_layer); empty when absent.</summary>
    public static IReadOnlyList<int> IntList(this JsonObject node, string name) => node[name] switch
    {
        JsonArray a => a.Where(x => x is not null).Select(x => (int)x!.GetValue<double>()).ToArray(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => [(int)v.GetValue<double>()],
        _ => [],
    };
}
