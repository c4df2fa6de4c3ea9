using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EpdBatch.Model.Loading;
using EpdBatch.Pipeline.Storage;
using Microsoft.Extensions.Options;
using SkiaSharp;

namespace EpdBatch.PipelineBench;

/// <summary>
/// The benchmark's inputs: a random llava-hf checkpoint (written once per shape and cached under the work folder),
/// generated images of varied sizes and formats, and a native manifest, on local disk and in Azurite.
/// </summary>
internal sealed class BenchData
{
    private static readonly string[] s_prompts = ["Describe the image.", "What is in this picture?", "Caption it.", "List the colours you see in this image."];

    private BenchData(string modelPath, string container, string manifestUri, IReadOnlyList<BenchItem> items)
    {
        ModelPath = modelPath;
        Container = container;
        ManifestUri = manifestUri;
        Items = items;
    }

    public string ModelPath { get; }

    public string Container { get; }

    public string ManifestUri { get; }

    public IReadOnlyList<BenchItem> Items { get; }

    public static async Task<BenchData> PrepareAsync(BenchOptions options, AzureBlobStore blobs, TextWriter log)
    {
        var model = Path.Combine(options.WorkFolder, "model-" + options.Shape.Name);
        var marker = Path.Combine(model, "bench-shape.json");
        var shapeJson = JsonSerializer.Serialize(options.Shape.Model);
        if (!File.Exists(marker) || await File.ReadAllTextAsync(marker) != shapeJson)
        {
            log.WriteLine($"writing a random {options.Shape.Name} checkpoint to {model} ...");
            if (Directory.Exists(model))
            {
                Directory.Delete(model, recursive: true);
            }
            DemoModelWriter.Write(model, seed: 2024, options.Shape.Model);
            await File.WriteAllTextAsync(marker, shapeJson);
        }

        // The load test's thousands of images are small (48..112 px), so that making and storing them stays quick.
        var small = options.Load.Count > 0;
        var media = Path.Combine(options.WorkFolder, small ? "media-small" : "media");
        Directory.CreateDirectory(media);
        var container = "epdbench" + Guid.NewGuid().ToString("N")[..10];
        var items = new BenchItem[options.Items];
        await Parallel.ForEachAsync(Enumerable.Range(0, options.Items), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var jpeg = i % 4 == 0;
            var name = $"img{i:D4}.{(jpeg ? "jpg" : "png")}";
            var local = Path.Combine(media, name);
            var bytes = Draw(i, jpeg ? SKEncodedImageFormat.Jpeg : SKEncodedImageFormat.Png, small);
            await File.WriteAllBytesAsync(local, bytes, ct);
            var uri = $"az://{container}/media/{name}";
            await blobs.WriteAsync(uri, bytes, "application/octet-stream", ct);
            var maxTokens = options.MinTokens + i % (options.MaxTokens - options.MinTokens + 1);
            items[i] = new BenchItem(i, $"item-{i:D4}", s_prompts[i % s_prompts.Length], local, uri, maxTokens);
        });
        var data = new BenchData(model, container, $"az://{container}/manifest.jsonl", items);
        await data.WriteManifestAsync(blobs, options.Items, data.ManifestUri);
        return data;
    }

    /// <summary>Writes a manifest of the first <paramref name="count"/> items to <paramref name="uri"/>.</summary>
    public async Task WriteManifestAsync(AzureBlobStore blobs, int count, string uri)
    {
        var manifest = new StringBuilder();
        foreach (var item in Items.Take(count))
        {
            manifest.AppendLine(new JsonObject
            {
                ["custom_id"] = item.CustomId,
                ["prompt"] = item.Prompt,
                ["images"] = new JsonArray(item.BlobUri),
                ["max_tokens"] = item.MaxTokens,
            }.ToJsonString());
        }
        await blobs.WriteAsync(uri, Encoding.UTF8.GetBytes(manifest.ToString()), "application/jsonl", CancellationToken.None);
    }

    /// <summary>
    /// A noisy picture of 96×80 to 352×248 pixels (48×40 to 112×88 when small) (after tests/EpdBatch.Cli.Tests' Draw): every item is a different
    /// image, so the encoder's token cache of equal media never short-cuts an encode.
    /// </summary>
    private static byte[] Draw(int index, SKEncodedImageFormat format, bool small)
    {
        using var bitmap = small ? new SKBitmap(48 + index % 5 * 16, 40 + index % 4 * 16) : new SKBitmap(96 + index % 5 * 64, 80 + index % 4 * 56);
        var random = new Random(index);
        for (var y = 0; y < bitmap.Height; y++)
        {
            for (var x = 0; x < bitmap.Width; x++)
            {
                bitmap.SetPixel(x, y, new SKColor((byte)random.Next(256), (byte)(x * 3 + index), (byte)(y * 3)));
            }
        }
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 90);
        return data.ToArray();
    }
}
