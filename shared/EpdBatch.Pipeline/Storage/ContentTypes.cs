namespace EpdBatch.Pipeline.Storage;

/// <summary>Content types of the files the pipeline reads and writes, by extension.</summary>
public static class ContentTypes
{
    public const string OctetStream = "application/octet-stream";

    public static string ForPath(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".jpg" or ".jpeg" => "image/jpeg",
        ".png" => "image/png",
        ".gif" => "image/gif",
        ".webp" => "image/webp",
        ".bmp" => "image/bmp",
        ".mp4" => "video/mp4",
        ".webm" => "video/webm",
        ".mov" => "video/quicktime",
        ".mkv" => "video/x-matroska",
        ".json" => "application/json",
        ".jsonl" => "application/x-ndjson",
        ".txt" => "text/plain; charset=utf-8",
        _ => OctetStream,
    };
}
