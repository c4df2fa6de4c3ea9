using System.Diagnostics;

namespace EpdBatch.Video.Tests;

/// <summary>
/// Test videos made with ffmpeg. The "counter" videos show their frame number in binary: 8 blocks of 16×16 pixels
/// side by side, block b white where bit b of the frame number is set, so any frame's identity survives lossy codecs.
/// </summary>
internal static class TestVideos
{
    public const int CounterWidth = 128;
    public const int CounterHeight = 16;

    /// <summary>A counter video: <paramref name="seconds"/> at <paramref name="fps"/>, keyframe every <paramref name="gop"/> frames.</summary>
    public static string Counter(string directory, string fileName, double seconds, int fps, int gop = 250, params string[] codec)
    {
        var path = Path.Combine(directory, fileName);
        var source = $"color=c=black:s={CounterWidth}x{CounterHeight}:r={fps}:d={seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}," +
                     "format=gray,geq=lum='if(mod(floor(N/pow(2,floor(X/16))),2),235,16)'";
        string[] encoder = codec.Length > 0 ? codec : ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "10"];
        Run(["-f", "lavfi", "-i", source, "-pix_fmt", "yuv420p", .. encoder, "-g", gop.ToString(System.Globalization.CultureInfo.InvariantCulture), path]);
        return path;
    }

    /// <summary>
    /// ffmpeg's <c>testsrc</c> pattern (colour bars, a moving gradient and its own timestamp) of
    /// <see cref="CounterWidth"/>×96, with a counter strip under it (<see cref="PatternFrameNumber"/> reads it back),
    /// <paramref name="seconds"/> at <paramref name="fps"/>, H.264.
    /// </summary>
    public static string TestPattern(string directory, string fileName, double seconds, int fps)
    {
        var path = Path.Combine(directory, fileName);
        var d = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var graph = $"testsrc=s={CounterWidth}x96:r={fps}:d={d},format=yuv420p[top];" +
                    $"color=c=black:s={CounterWidth}x{CounterHeight}:r={fps}:d={d},format=gray,geq=lum='if(mod(floor(N/pow(2,floor(X/16))),2),235,16)',format=yuv420p[strip];" +
                    "[top][strip]vstack,format=yuv420p[out]";
        Run(["-filter_complex", graph, "-map", "[out]", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "10", path]);
        return path;
    }

    /// <summary>The frame number shown by the counter strip at the bottom of a <see cref="TestPattern"/> frame (packed RGB24).</summary>
    public static int PatternFrameNumber(ReadOnlySpan<byte> rgb, int height) =>
        FrameNumber(rgb[((height - CounterHeight) * CounterWidth * 3)..]);

    /// <summary>Reads the frame number a counter frame shows (packed RGB24 of <see cref="CounterWidth"/>×<see cref="CounterHeight"/>).</summary>
    public static int FrameNumber(ReadOnlySpan<byte> rgb, int width = CounterWidth)
    {
        var number = 0;
        for (var bit = 0; bit < 8; bit++)
        {
            var x = (bit * 16) + 8;
            const int y = 8;
            if (rgb[((y * width) + x) * 3] > 128)
            {
                number |= 1 << bit;
            }
        }

        return number;
    }

    /// <summary>Frame shown at t_i = (i + 0.5)·duration/n in a constant-rate video: floor(t_i · fps).</summary>
    public static int[] ExpectedFrames(double seconds, int fps, int n) =>
        Enumerable.Range(0, n).Select(i => (int)Math.Floor((i + 0.5) * seconds / n * fps)).ToArray();

    /// <summary>Runs ffmpeg to make a test input; throws with its stderr where it fails.</summary>
    public static void Run(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in (string[])["-nostdin", "-hide_banner", "-loglevel", "error", "-y", .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ffmpeg {string.Join(' ', start.ArgumentList)} failed: {errors.Result}");
        }
    }

    /// <summary>Raw RGB24 of one frame as ffmpeg itself decodes it (with its own autorotation) at time <paramref name="seconds"/>.</summary>
    public static byte[] FfmpegFrameAt(string path, double seconds)
    {
        var start = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in (string[])["-nostdin", "-loglevel", "error", "-ss", seconds.ToString("0.######", System.Globalization.CultureInfo.InvariantCulture), "-i", path, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        using var output = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(output);
        process.WaitForExit();
        return process.ExitCode == 0 ? output.ToArray() : throw new InvalidOperationException(errors.Result);
    }
}
