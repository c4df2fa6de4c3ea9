using System.Text.Json.Nodes;
using EpdBatch.Model.Loading;
using SkiaSharp;

namespace EpdBatch.Cli.Commands;

/// <summary>The demo's model, images and manifest, made once under a work folder and reused by later runs.</summary>
internal static class DemoAssets
{
    public const int ImageCount = 24;

    private static readonly string[] s_prompts =
    [
        "Describe the image in one sentence.",
        "What colours dominate this picture?",
        "Is there a pattern in this image?",
        "Write a short caption for this image.",
    ];

    public static string DefaultWorkDirectory =>
        Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } cache
            ? cache
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "epdbatch", "demo");

    /// <summary>Creates what is missing; returns the model folder and the manifest path.</summary>
    public static (string Model, string Manifest, bool Created) Ensure(string workDirectory)
    {
        var model = Path.Combine(workDirectory, "model");
        var images = Path.Combine(workDirectory, "images");
        var manifest = Path.Combine(workDirectory, "manifest.jsonl");
        var created = false;
        if (!File.Exists(Path.Combine(model, "model.safetensors")))
        {
            DemoModelWriter.Write(model);
            created = true;
        }
        if (!File.Exists(manifest))
        {
            Directory.CreateDirectory(images);
            using var writer = new StreamWriter(manifest);
            for (var i = 0; i < ImageCount; i++)
            {
                var name = $"image{i:D2}.{(i % 4 == 3 ? "jpg" : "png")}";
                File.WriteAllBytes(Path.Combine(images, name), Draw(i, i % 4 == 3 ? SKEncodedImageFormat.Jpeg : SKEncodedImageFormat.Png));
                var line = new JsonObject
                {
                    ["custom_id"] = $"demo-{i:D2}",
                    ["prompt"] = s_prompts[i % s_prompts.Length],
                    ["images"] = new JsonArray($"images/{name}"),
                    ["max_tokens"] = 24,
                };
                writer.WriteLine(line.ToJsonString());
            }
            created = true;
        }
        return (model, manifest, created);
    }

    /// <summary>A picture per index: concentric shapes on a gradient, in a size that needs resizing and cropping.</summary>
    private static byte[] Draw(int index, SKEncodedImageFormat format)
    {
        var (width, height) = (index % 3) switch { 0 => (320, 240), 1 => (256, 256), _ => (200, 300) };
        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        var canvas = surface.Canvas;
        using (var shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(width, height),
                   [SKColor.FromHsv(index * 15 % 360, 70, 90), SKColor.FromHsv((index * 15 + 120) % 360, 80, 60)], SKShaderTileMode.Clamp))
        using (var background = new SKPaint { Shader = shader })
        {
            canvas.DrawRect(0, 0, width, height, background);
        }
        using var paint = new SKPaint { IsAntialias = true };
        for (var ring = 0; ring < 1 + index % 5; ring++)
        {
            paint.Color = SKColor.FromHsv((index * 47 + ring * 60) % 360, 90, 100);
            canvas.DrawCircle(width / 2f + ring * 7, height / 2f - ring * 5, Math.Min(width, height) / (2.5f + ring), paint);
        }
        using var image = surface.Snapshot();
        using var data = image.Encode(format, 90);
        return data.ToArray();
    }
}
