using System.Diagnostics;
using System.Globalization;

namespace EpdBatch.VideoBench;

/// <summary>Test videos for the benchmark: ffmpeg's testsrc2 pattern (moving, textured), H.264, one per seed.</summary>
internal static class BenchVideos
{
    public static IReadOnlyList<string> Make(BenchSettings settings)
    {
        var directory = Directory.CreateDirectory(Path.Combine(settings.WorkDirectory, "videos")).FullName;
        var paths = new List<string>();
        for (var i = 0; i < settings.Videos; i++)
        {
            var path = Path.Combine(directory, string.Create(CultureInfo.InvariantCulture,
                $"v{i}-{settings.Width}x{settings.Height}-{settings.Fps}fps-{settings.Seconds}s-g{settings.Gop}.mp4"));
            if (!File.Exists(path))
            {
                var source = string.Create(CultureInfo.InvariantCulture,
                    $"testsrc2=s={settings.Width}x{settings.Height}:r={settings.Fps}:d={settings.Seconds},hue=h={i * 40}");
                Ffmpeg("-f", "lavfi", "-i", source, "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23",
                    "-g", settings.Gop.ToString(CultureInfo.InvariantCulture), "-movflags", "+faststart", path + ".part.mp4");
                File.Move(path + ".part.mp4", path);
            }

            paths.Add(path);
        }

        return paths;
    }

    /// <summary>Seconds ffmpeg takes to decode every frame of a video (one decoder thread), for comparison with sampling.</summary>
    public static double FullDecodeSeconds(string path)
    {
        var watch = Stopwatch.StartNew();
        Ffmpeg("-threads", "1", "-i", path, "-f", "null", "-");
        return watch.Elapsed.TotalSeconds;
    }

    private static void Ffmpeg(params string[] arguments)
    {
        var start = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true };
        foreach (var argument in (string[])["-nostdin", "-hide_banner", "-loglevel", "error", "-y", .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ffmpeg failed: {errors}");
        }
    }
}
