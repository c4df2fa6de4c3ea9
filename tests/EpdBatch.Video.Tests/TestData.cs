using System.Text.Json;

namespace EpdBatch.Video.Tests;

/// <summary>The read-only reference data (<c>../shared/testdata</c> beside the checkout, or EPD_TESTDATA).</summary>
internal static class TestData
{
    public const string OnevisionVideo = "onevision-tiny-video";

    private static readonly Lazy<string> s_root = new(Find);

    public static string Folder(string name) => Path.Combine(s_root.Value, name);

    public static JsonElement GoldenCase(string folder)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Folder(folder), "golden.json")));
        return document.RootElement.GetProperty("cases")[0].Clone();
    }

    public static float[] Floats(this JsonElement element) => element.EnumerateArray().Select(x => x.GetSingle()).ToArray();

    public static int[] Ints(this JsonElement element) => element.EnumerateArray().Select(x => x.GetInt32()).ToArray();

    /// <summary>The golden video's four frames (56×56 PNG), in order.</summary>
    public static string[] GoldenFrames() => Enumerable.Range(0, 4).Select(i => Path.Combine(Folder(OnevisionVideo), $"frame{i}.png")).ToArray();

    /// <summary>
    /// The golden frames as a lossless 4 s video at 1 frame per second (FFV1, RGB): sampled at 4 frames, the mid-span
    /// timestamps 0.5, 1.5, 2.5, 3.5 s fall on frames 0..3, so decoding must give back the PNGs' exact pixels.
    /// </summary>
    public static string GoldenVideo(string directory)
    {
        var path = Path.Combine(directory, "golden-frames.mkv");
        if (!File.Exists(path))
        {
            TestVideos.Run(["-framerate", "1", "-i", Path.Combine(Folder(OnevisionVideo), "frame%d.png"), "-c:v", "ffv1", "-pix_fmt", "bgr0", path]);
        }

        return path;
    }

    /// <summary>A writable copy of a reference folder.</summary>
    public static string CopyToTemp(string folder, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(Folder(folder)))
        {
            var destination = Path.Combine(target, Path.GetFileName(file));
            File.Copy(file, destination);
            File.SetAttributes(destination, FileAttributes.Normal);
        }

        return target;
    }

    private static string Find()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("EPD_TESTDATA");
        if (!string.IsNullOrEmpty(fromEnvironment) && Directory.Exists(fromEnvironment))
        {
            return fromEnvironment;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "testdata");
            if (Directory.Exists(Path.Combine(candidate, OnevisionVideo)))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("reference data not found: expected ../shared/testdata beside the checkout (or set EPD_TESTDATA)");
    }
}
