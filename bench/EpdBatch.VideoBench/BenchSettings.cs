using System.Globalization;

namespace EpdBatch.VideoBench;

/// <summary>Command-line settings of the video benchmark (all optional; the defaults run in a few minutes on 2 cores).</summary>
internal sealed record BenchSettings
{
    public int Videos { get; init; } = 6;
    public double Seconds { get; init; } = 20;
    public int Width { get; init; } = 1280;
    public int Height { get; init; } = 720;
    public int Fps { get; init; } = 30;
    public int Gop { get; init; } = 60;
    public int Frames { get; init; } = 8;
    public int ImageSize { get; init; } = 378;
    public int VisionHidden { get; init; } = 384;
    public int VisionLayers { get; init; } = 6;
    public int Consumers { get; init; } = 2;
    public int TorchThreads { get; init; }
    public string? Model { get; init; }
    public string WorkDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "epd-videobench");
    public string? Output { get; init; }

    public const string Usage = """
        epd video benchmark: ffmpeg frame sampling, encoder frames/s, and decode/encode overlap.
          --videos N         test videos made with ffmpeg (default 6)
          --seconds S        length of each (default 20)
          --size WxH         resolution (default 1280x720)
          --fps F            frame rate (default 30)
          --gop G            keyframe interval in frames (default 60)
          --frames N         frames sampled per video (default 8)
          --image-size P     random OneVision/SigLIP model: input size (default 378 = 27 patches of 14, the 729 tokens of SigLIP-384)
          --vision-hidden H  ... hidden size (default 384)
          --vision-layers L  ... layers (default 6)
          --model DIR        use this llava-onevision model instead of a random one
          --consumers C      concurrent videos in the overlapped run (default 2)
          --torch-threads T  torch intra-op threads (default: torch's choice)
          --work DIR         where videos and the random model are written (default: temp/epd-videobench)
          --json FILE        also write the figures as JSON
        """;

    public static BenchSettings Parse(string[] args)
    {
        var settings = new BenchSettings();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
            settings = args[i] switch
            {
                "--videos" => settings with { Videos = Int() },
                "--seconds" => settings with { Seconds = double.Parse(Next(), CultureInfo.InvariantCulture) },
                "--size" => Size(settings, Next()),
                "--fps" => settings with { Fps = Int() },
                "--gop" => settings with { Gop = Int() },
                "--frames" => settings with { Frames = Int() },
                "--image-size" => settings with { ImageSize = Int() },
                "--vision-hidden" => settings with { VisionHidden = Int() },
                "--vision-layers" => settings with { VisionLayers = Int() },
                "--model" => settings with { Model = Next() },
                "--consumers" => settings with { Consumers = Int() },
                "--torch-threads" => settings with { TorchThreads = Int() },
                "--work" => settings with { WorkDirectory = Next() },
                "--json" => settings with { Output = Next() },
                _ => throw new ArgumentException($"unknown argument {args[i]}"),
            };
        }

        return settings;
    }

    private static BenchSettings Size(BenchSettings settings, string value)
    {
        var parts = value.Split('x');
        return parts.Length == 2
            ? settings with { Width = int.Parse(parts[0], CultureInfo.InvariantCulture), Height = int.Parse(parts[1], CultureInfo.InvariantCulture) }
            : throw new ArgumentException($"--size {value}: expected WxH");
    }
}
