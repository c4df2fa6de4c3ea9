using System.Text.Json;

namespace EpdBatch.Planning.Workloads;

/// <summary>
/// A workload from a manifest, in either of the ingest's formats: native lines
/// (<c>{"custom_id", "prompt", "images": [...], "video"?, "max_tokens"}</c>) or OpenAI batch lines (<c>{"body":
/// {"messages": [...], "max_tokens"}}</c> with <c>image_url</c> / <c>video_url</c> parts). One item per line, its
/// prompt estimated at a token per four characters, its images at <see cref="ImageSize"/> (the manifest names
/// blobs, not sizes), its video at <see cref="VideoFrames"/> frames.
/// </summary>
public sealed record ManifestWorkload
{
    /// <summary>Assumed longest side of every image in pixels; 0 means the vision tower's resolution.</summary>
    public int ImageSize { get; init; }

    /// <summary>Frames sampled from each video.</summary>
    public int VideoFrames { get; init; } = 8;

    /// <summary>max_tokens of a line that gives none (the ingest's default is 256).</summary>
    public int DefaultMaxTokens { get; init; } = 256;

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
        string prompt;
        int images;
        bool video;
        JsonElement m;
        bool hasMax;
        if (root.TryGetProperty("body", out var body) && body.ValueKind == JsonValueKind.Object)
        {
            (prompt, images, video) = ReadMessages(body);
            hasMax = body.TryGetProperty("max_tokens", out m) || body.TryGetProperty("max_completion_tokens", out m);
        }
        else
        {
            prompt = root.TryGetProperty("prompt", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : "";
            images = root.TryGetProperty("images", out var i) && i.ValueKind == JsonValueKind.Array ? i.GetArrayLength() : 0;
            video = root.TryGetProperty("video", out var v) && v.ValueKind == JsonValueKind.String;
            hasMax = root.TryGetProperty("max_tokens", out m);
        }
        var maxTokens = DefaultMaxTokens;
        if (hasMax && m.ValueKind != JsonValueKind.Null)
        {
            if (m.ValueKind != JsonValueKind.Number || !m.TryGetInt32(out maxTokens) || maxTokens < 1)
            {
                throw new InvalidDataException($"{where}: max_tokens must be a positive integer");
            }
        }
        var textTokens = (int)Math.Ceiling(prompt.Length / CharactersPerToken);
        return new WorkloadItem(images, ImageSize, video ? VideoFrames : 0, textTokens, maxTokens);
    }

    /// <summary>The text, images and video of a chat request's messages.</summary>
    private static (string Text, int Images, bool Video) ReadMessages(JsonElement body)
    {
        var text = new System.Text.StringBuilder();
        var images = 0;
        var video = false;
        if (!body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            return ("", 0, false);
        }
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("content", out var content))
            {
                continue;
            }
            if (content.ValueKind == JsonValueKind.String)
            {
                text.Append(content.GetString());
                continue;
            }
            if (content.ValueKind != JsonValueKind.Array)
            {
                continue;
            }
            foreach (var part in content.EnumerateArray())
            {
                if (part.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }
                if (part.TryGetProperty("image_url", out _))
                {
                    images++;
                }
                else if (part.TryGetProperty("video_url", out _))
                {
                    video = true;
                }
                else if (part.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
                {
                    text.Append(t.GetString());
                }
            }
        }
        return (text.ToString(), images, video);
    }
}
