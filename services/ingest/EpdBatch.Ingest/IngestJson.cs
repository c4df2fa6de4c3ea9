using System.Text.Json;
using System.Text.Json.Serialization;

namespace EpdBatch.Ingest;

/// <summary>Serializer settings: one for what the ingest stores (compact, stable), one for what people read.</summary>
internal static class IngestJson
{
    public static JsonSerializerOptions Store { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Output files: snake_case, nulls written (the OpenAI shapes have <c>"error": null</c>), non-ASCII text kept readable.</summary>
    public static JsonSerializerOptions Output { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
