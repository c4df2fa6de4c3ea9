using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using EpdBatch.Pipeline.Storage;

namespace EpdBatch.Cli.Commands;

/// <summary>
/// For small distributed jobs: uploads a local manifest and the local media files it names to the input container,
/// rewriting the paths into blob URIs. Blob URIs in the manifest are left as they are. Only files under the media
/// root (the manifest's folder unless given) are uploaded: a manifest from elsewhere cannot make the CLI copy the
/// user's other files into storage. A path outside stays as written, so its line fails at ingest.
/// </summary>
internal static class ManifestUploader
{
    public const string InputContainer = "epd-input";

    /// <summary>The media root of a local manifest: <paramref name="given"/> (which must exist), else the manifest's folder.</summary>
    public static string MediaRootFor(string manifestPath, string? given)
    {
        if (given is null)
        {
            return Path.GetDirectoryName(Path.GetFullPath(manifestPath))!;
        }

        var root = Path.GetFullPath(given);
        return Directory.Exists(root) ? root : throw new DirectoryNotFoundException($"--media-root {given}: no such folder");
    }

    public static async Task<string> UploadIfLocalAsync(IBlobStore blobs, string manifest, string? mediaRoot, CancellationToken ct)
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
        var media = MediaAccessPolicy.ForLocalFolder(new LocalFolderStore("/"), new EpdStorageOptions { MediaRoot = MediaRootFor(path, mediaRoot) });
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
                    if (!media.TryCheckMedia(local, out _, out var refused))
                    {
                        Console.Error.WriteLine($"epd: line {lineNumber}: not uploading {value}: {refused}");
                        continue;
                    }

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
