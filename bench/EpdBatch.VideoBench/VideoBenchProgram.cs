using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using EpdBatch.Contracts;
using EpdBatch.Encoder;
using EpdBatch.Imaging;
using EpdBatch.Model.Runtime;
using EpdBatch.Model.Stages;
using EpdBatch.Pipeline.Options;
using EpdBatch.Video;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EpdBatch.VideoBench;

/// <summary>
/// Three figures for video items: frames sampled per second by <see cref="FfmpegFrameSampler"/>, encoder frames per
/// second, and how much of the time the encoder's model thread sits idle when several videos are queued — with
/// decoding in line (decode a video, then encode it) and overlapped (the encoder stage's consumers: while one
/// video is encoded the next one decodes).
/// </summary>
internal static class VideoBenchProgram
{
    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine(BenchSettings.Usage);
            return 0;
        }

        var settings = BenchSettings.Parse(args);
        var figures = new Dictionary<string, object>();
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores; {settings.Videos} videos of {settings.Seconds} s {settings.Width}x{settings.Height}@{settings.Fps} (GOP {settings.Gop}), {settings.Frames} frames each");

        var videos = BenchVideos.Make(settings);
        var bytes = videos.Select(File.ReadAllBytes).ToArray();
        TorchRuntime.Initialize(threads: settings.TorchThreads > 0 ? settings.TorchThreads : null);
        var model = settings.Model ?? RandomOnevisionModel.Write(
            Path.Combine(settings.WorkDirectory, "model"), FindTinyModel(), settings.ImageSize, settings.VisionHidden, settings.VisionLayers);
        var preprocessor = new ImagePreprocessor(ImageProcessorConfig.FromFolder(model, video: true));

        // 1. Sampling throughput.
        var full = BenchVideos.FullDecodeSeconds(videos[0]);
        Console.WriteLine($"full decode of one video (every frame, ffmpeg -threads 1): {full:0.00} s = {settings.Seconds * settings.Fps / full:0} frames/s");
        figures["full_decode_seconds"] = full;
        foreach (var (name, options, concurrent, preprocess) in new (string, VideoOptions, bool, bool)[]
        {
            ("sample RGB (source size), one video at a time", new VideoOptions { MaxConcurrentDecodes = 1 }, false, false),
            ("sample + preprocess (torch-compatible resize), one at a time", new VideoOptions { MaxConcurrentDecodes = 1 }, false, true),
            ("sample + preprocess (ffmpeg resize), one at a time", new VideoOptions { MaxConcurrentDecodes = 1, ScaleInFfmpeg = true }, false, true),
            ("sample + preprocess (torch-compatible resize), 2 at a time", new VideoOptions { MaxConcurrentDecodes = 2 }, true, true),
        })
        {
            options.MaxFrames = Math.Max(options.MaxFrames, settings.Frames);
            using var sampler = new FfmpegFrameSampler(Options.Create(options));
            var watch = Stopwatch.StartNew();
            var probeSeconds = 0.0;
            var probeLock = new Lock();
            async Task<int> One(int i)
            {
                var (count, probe) = preprocess
                    ? Measure(await sampler.SampleAsync(VideoInput.FromBytes(bytes[i], videos[i]), settings.Frames, preprocessor, CancellationToken.None))
                    : Measure(await sampler.SampleRgbAsync(VideoInput.FromBytes(bytes[i], videos[i]), settings.Frames, CancellationToken.None));
                lock (probeLock)
                {
                    probeSeconds += probe;
                }

                return count;
            }

            var frames = 0;
            if (concurrent)
            {
                frames = (await Task.WhenAll(Enumerable.Range(0, videos.Count).Select(One))).Sum();
            }
            else
            {
                for (var i = 0; i < videos.Count; i++)
                {
                    frames += await One(i);
                }
            }

            var seconds = watch.Elapsed.TotalSeconds;
            Console.WriteLine($"{name}: {frames} frames in {seconds:0.00} s = {frames / seconds:0.0} frames/s ({seconds / videos.Count:0.00} s per video, of which probe {probeSeconds / videos.Count:0.00} s)");
            figures[name] = new { frames, seconds, frames_per_second = frames / seconds, probe_seconds_per_video = probeSeconds / videos.Count };
        }

        // 2. Encoder throughput, and 3. overlap, on the encoder stage itself (its model thread and batching).
        var encoderOptions = Options.Create(new EncoderOptions { ModelPath = model, MaxBatchSize = settings.Frames, MaxBatchWaitMs = 5 });
        encoderOptions.Value.ApplyDefaults(null);
        await using var stage = new EncoderStage(encoderOptions, NullLogger<EncoderStage>.Instance);
        using var videoSampler = new FfmpegFrameSampler(Options.Create(new VideoOptions { MaxFrames = Math.Max(32, settings.Frames) }));
        var sampled = await videoSampler.SampleAsync(VideoInput.FromBytes(bytes[0], videos[0]), settings.Frames, stage.PreprocessorFor(MediaKind.Video, "bench"), CancellationToken.None);
        var work = new EncodeWork(MultimodalKind.Video, sampled.Frames);
        await stage.EncodeAsync(work, CancellationToken.None); // warm-up
        var encodeWatch = Stopwatch.StartNew();
        const int encodeRounds = 3;
        for (var r = 0; r < encodeRounds; r++)
        {
            await stage.EncodeAsync(work, CancellationToken.None);
        }

        var encodeSeconds = encodeWatch.Elapsed.TotalSeconds / encodeRounds;
        Console.WriteLine($"encoder ({settings.ImageSize} px, SigLIP {settings.VisionHidden}x{settings.VisionLayers}): {settings.Frames} frames in {encodeSeconds:0.00} s = {settings.Frames / encodeSeconds:0.0} frames/s");
        figures["encoder_frames_per_second"] = settings.Frames / encodeSeconds;

        foreach (var consumers in new[] { 1, settings.Consumers })
        {
            var queue = new ConcurrentQueue<int>(Enumerable.Range(0, videos.Count));

            // The model thread adds a batch's time just after completing it: let the previous run's last addition land.
            await Task.Delay(200);
            var busyBefore = stage.BusyTime;
            var decodeSeconds = 0.0;
            var firstEncodeQueued = TimeSpan.Zero;
            var watch = Stopwatch.StartNew();
            async Task Consumer()
            {
                while (queue.TryDequeue(out var i))
                {
                    var video = await videoSampler.SampleAsync(VideoInput.FromBytes(bytes[i], videos[i]), settings.Frames, stage.PreprocessorFor(MediaKind.Video, "bench"), CancellationToken.None);
                    lock (queue)
                    {
                        decodeSeconds += video.Elapsed.TotalSeconds;
                        if (firstEncodeQueued == TimeSpan.Zero)
                        {
                            firstEncodeQueued = watch.Elapsed;
                        }
                    }

                    await stage.EncodeAsync(new EncodeWork(MultimodalKind.Video, video.Frames), CancellationToken.None);
                }
            }

            await Task.WhenAll(Enumerable.Range(0, consumers).Select(_ => Task.Run(Consumer)));
            var wall = watch.Elapsed;

            await Task.Delay(200);
            var busy = stage.BusyTime - busyBefore;
            var idle = 1 - (busy / wall);
            var idleAfterFirst = 1 - (busy / (wall - firstEncodeQueued));
            var label = consumers == 1 ? "in line (1 consumer: decode, then encode)" : $"overlapped ({consumers} consumers)";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{label}: {videos.Count} videos in {wall.TotalSeconds:0.00} s, encoder busy {busy.TotalSeconds:0.00} s, idle {idle:P0} of the run ({idleAfterFirst:P0} after the first video was decoded), decode time {decodeSeconds:0.00} s"));
            figures[label] = new { wall_seconds = wall.TotalSeconds, encoder_busy_seconds = busy.TotalSeconds, encoder_idle_share = idle, idle_after_first_decode = idleAfterFirst, decode_seconds = decodeSeconds };
        }

        if (settings.Output is { } output)
        {
            await File.WriteAllTextAsync(output, JsonSerializer.Serialize(figures, s_indented));
        }

        return 0;
    }

    private static (int Frames, double ProbeSeconds) Measure<T>(SampledVideo<T> video) => (video.Frames.Count, video.ProbeElapsed.TotalSeconds);

    private static string FindTinyModel()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "testdata", "onevision-tiny-video");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("onevision-tiny-video not found (../shared/testdata beside the checkout): pass --model");
    }
}
