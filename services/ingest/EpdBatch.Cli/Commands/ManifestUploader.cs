using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using EpdBatch.Pipeline.Storage;

namespace EpdBatch.Cli.Commands;

/// <summary>
/// For small distributed jobs: uploads a local manifest and the local media files it names to the input container,
/// rewriting the paths into blob URIs. Blob URIs in the manifest are left as they are.
/// </summary>
internal static class ManifestUploader
{
    public const string InputContainer = "epd-input";

    public static async Task<string> UploadIfLocalAsync(IBlobStore blobs, string manifest, CancellationToken ct)
    {
        if (manifest.Contains("://", StringComparison.Ordinal))
        {
            return manifest;
        }
        var path = Path.GetFullPath(manifest);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{manifest}: no such manifest file");
        }
        var folder = Path.GetDirectoryName(path)!;
        var batch = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(path, ct)))[..16];
        var uploaded = new Dictionary<string, string>(StringComparer.Ordinal);
        var output = new StringBuilder();
        var lineNumber = 0;
        foreach (var line in await File.ReadAllLinesAsync(path, ct))
        {
            lineNumber++;
            JsonNode? node = null;
            try
            {
                node = string.IsNullOrWhiteSpace(line) ? null : JsonNode.Parse(line);
            }
            catch (System.Text.Json.JsonException)
            {
                // Invalid lines travel as they are: the ingest reports them with their line number.
            }
            if (node is JsonObject item)
            {
                foreach (var reference in ManifestMedia.References(item))
                {
                    var value = reference.GetValue<string>();
                    if (value.Contains("://", StringComparison.Ordinal))
                    {
                        continue;
                    }
                    var local = Path.GetFullPath(Path.Combine(folder, value));
                    if (!uploaded.TryGetValue(local, out var uri))
                    {
                        uri = File.Exists(local)
                            ? await blobs.UploadFileAsync(local, InputContainer, $"{batch}/{uploaded.Count:D6}-{Path.GetFileName(local)}", ct)
                            : $"az://{InputContainer}/{batch}/missing/{Path.GetFileName(local)}";
                        uploaded[local] = uri;
                    }
                    reference.ReplaceWith(uri);
                }
                output.AppendLine(item.ToJsonString());
            }
            else
            {
                output.AppendLine(line);
            }
        }
        var manifestUri = $"az://{InputContainer}/{batch}/manifest.jsonl";
        await blobs.WriteAsync(manifestUri, Encoding.UTF8.GetBytes(output.ToString()), "application/jsonl", ct);
        return manifestUri;
    }
}
