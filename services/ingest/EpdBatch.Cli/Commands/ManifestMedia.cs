using System.Text.Json.Nodes;

namespace EpdBatch.Cli.Commands;

/// <summary>Where a manifest line names media, in both formats (native <c>images</c>/<c>video</c>, OpenAI content parts).</summary>
internal static class ManifestMedia
{
    private static readonly string[] s_urlParts = ["image_url", "video_url"];

    /// <summary>The string nodes that hold media locations, in both manifest formats.</summary>
    public static IEnumerable<JsonValue> References(JsonObject item)
    {
        if (item["images"] is JsonArray images)
        {
            foreach (var image in images.OfType<JsonValue>().ToArray())
            {
                yield return image;
            }
        }
        if (item["video"] is JsonValue video)
        {
            yield return video;
        }
        if (item["body"]?["messages"] is JsonArray messages)
        {
            foreach (var content in messages.Select(m => m?["content"]).OfType<JsonArray>())
            {
                foreach (var part in content.OfType<JsonObject>())
                {
                    // {"image_url": {"url": "..."}} as OpenAI writes it, or the bare string the parser also takes.
                    foreach (var kind in s_urlParts)
                    {
                        var node = part[kind];
                        if ((node is JsonObject holder ? holder["url"] : node) is JsonValue url)
                        {
                            yield return url;
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Rewrites each line's relative local media paths as absolute paths under the manifest's folder (line for line,
    /// so error line numbers still match the user's file). Returns the path of the resolved copy.
    /// </summary>
    public static async Task<string> ResolveLocalPathsAsync(string manifest, string destination, CancellationToken ct)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(manifest))!;
        await using var writer = new StreamWriter(destination);
        using var reader = new StreamReader(manifest);
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            JsonNode? node = null;
            try
            {
                node = string.IsNullOrWhiteSpace(line) ? null : JsonNode.Parse(line);
            }
            catch (System.Text.Json.JsonException)
            {
                // Invalid lines travel as they are: the ingest reports them with their line number.
            }
            if (node is not JsonObject item)
            {
                await writer.WriteLineAsync(line);
                continue;
            }
            foreach (var reference in References(item).ToArray())
            {
                if (reference.TryGetValue<string>(out var value) && !value.Contains("://", StringComparison.Ordinal) && !Path.IsPathRooted(value))
                {
                    reference.ReplaceWith(Path.GetFullPath(Path.Combine(folder, value)));
                }
            }
            await writer.WriteLineAsync(item.ToJsonString());
        }
        return destination;
    }
}
