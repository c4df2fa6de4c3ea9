using System.Text.Json;

namespace EpdBatch.Planning.Workloads;

/// <summary>
/// A workload from a native manifest (JSON lines of <c>{"custom_id", "prompt", "images": [...], "video"?, "max_tokens"}</c>):
/// one item per line, its prompt estimated at a token per four characters, its images at
/// <see cref="ImageSize"/> (the manifest names blobs, not sizes), its video at <see cref="VideoFrames"/> frames.
/// </summary>
public sealed record ManifestWorkload
{
    /// <summary>Assumed longest side of every image in pixels; 0 means the vision tower's resolution.</summary>
    public int ImageSize { get; init; }

    /// <summary>Frames sampled from each video.</summary>
    public int VideoFrames { get; init; } = 8;

    /// <summary>max_tokens of a line that gives none.</summary>
    public int DefaultMaxTokens { get; init; } = 64;

    /// <summary>Characters per prompt token in the estimate.</summary>
    public double CharactersPerToken { get; init; } = 4;

    public Workload Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no such manifest");
        }
        var items = new List<WorkloadItem>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            items.Add(Parse(line, $"{path}:{lineNumber}"));
        }
        if (items.Count == 0)
        {
            throw new InvalidDataException($"{path}: the manifest has no items");
        }
        return new Workload($"manifest {Path.GetFileName(path)}: {items.Count} items, offline", items);
    }

    private WorkloadItem Parse(string line, string where)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(line);
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{where}: not a JSON object ({e.Message})", e);
        }
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"{where}: not a JSON object");
        }
        var prompt = root.TryGetProperty("prompt", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : "";
        var images = root.TryGetProperty("images", out var i) && i.ValueKind == JsonValueKind.Array ? i.GetArrayLength() : 0;
        var video = root.TryGetProperty("video", out var v) && v.ValueKind == JsonValueKind.String;
        var maxTokens = DefaultMaxTokens;
        if (root.TryGetProperty("max_tokens", out var m) && m.ValueKind != JsonValueKind.Null)
        {
            if (m.ValueKind != JsonValueKind.Number || !m.TryGetInt32(out maxTokens) || maxTokens < 1)
            {
                throw new InvalidDataException($"{where}: max_tokens must be a positive integer");
            }
        }
        var textTokens = (int)Math.Ceiling(prompt.Length / CharactersPerToken);
        return new WorkloadItem(images, ImageSize, video ? VideoFrames : 0, textTokens, maxTokens);
    }
}
