using System.Diagnostics;
using EpdBatch.Imaging;
using EpdBatch.Pipeline;
using EpdBatch.Video.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EpdBatch.Video;

/// <summary>
/// Samples N frames uniformly over a video's duration (<see cref="FrameSchedule"/>) with the ffmpeg programs:
/// <list type="number">
/// <item>ffprobe lists the video stream and its packets (demux only, no decoding): size, rotation, keyframes and
/// the exact time of every frame, so the frames to take are known before decoding starts;</item>
/// <item>one ffmpeg process decodes just those frames: a planner seeks where that is cheaper than decoding on
/// (mp4/mov and Matroska/WebM only: their indexes seek exactly), each seek point is an input of its own, cut off
/// just past its last wanted frame, and a select filter keeps exactly the listed frame times, all joined into one
/// raw RGB24 stream on stdout, read frame by frame into one reused source-size buffer. A seeking decode that falls
/// short is retried once from the start; wrong frames are never taken.</item>
/// </list>
/// Frames come at the source size (after rotation) and the caller's converter resizes them, so the
/// <see cref="ImagePreprocessor"/> gives exactly the pixels transformers computes from the same decoded frames;
/// <see cref="VideoOptions.ScaleInFfmpeg"/> moves the resize into ffmpeg instead. ffmpeg reads a seekable file:
/// the per-sample seeks and mp4 files with their index at the end need one, so bytes are written to a private
/// temporary folder that is deleted whatever happens. Only the file protocol and container demuxers are allowed
/// (a playlist posing as a video cannot make ffmpeg open other files or URLs). Probe and decode share one deadline,
/// <see cref="VideoOptions.DecodeTimeout"/>; on timeout or cancellation the process tree is killed. Thread-safe; at
/// most <see cref="VideoOptions.MaxConcurrentDecodes"/> videos decode at once.
/// </summary>
public sealed class FfmpegFrameSampler : IDisposable
{
    // Containers only: no playlists (hls, concat), image sequences or raw elementary streams without timestamps.
    private const string AllowedFormats = "mov,matroska,avi,mpegts,flv,ogg,asf,mpeg";

    private static readonly string[] s_inputOptions = ["-protocol_whitelist", "file", "-format_whitelist", AllowedFormats];

    // Demuxers with an index that ffmpeg seeks by exactly (mp4/mov sample tables, Matroska cues); MPEG-TS and PS
    // seek by byte position and can land past the wanted frame, so those decode from the start.
    private static readonly string[] s_seekableFormats = ["mov", "mp4", "matroska", "webm"];

    private static readonly string[] s_extensions = ["mp4", "m4v", "mov", "mkv", "webm", "avi", "ts", "flv", "ogv", "wmv", "3gp", "mpg", "mpeg"];

    private readonly VideoOptions _options;
    private readonly string? _ffmpeg;
    private readonly string? _ffprobe;
    private readonly string? _missingTools;
    private readonly SemaphoreSlim _slots;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public FfmpegFrameSampler(IOptions<VideoOptions> options, TimeProvider? time = null, ILogger<FfmpegFrameSampler>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        var invalid = _options.GetValidationFailures(VideoOptions.SectionName);
        if (invalid.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", invalid));
        }
        _ffmpeg = ExecutableLocator.Find(_options.FfmpegPath);
        _ffprobe = ExecutableLocator.Find(_options.FfprobePath);
        var slots = _options.MaxConcurrentDecodes > 0 ? _options.MaxConcurrentDecodes : Environment.ProcessorCount;
        _slots = new SemaphoreSlim(slots, slots);
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger<FfmpegFrameSampler>.Instance;
        var missing = _options.GetToolFailures(VideoOptions.SectionName);
        if (missing.Count > 0)
        {
            // An image-only worker needs no ffmpeg: it starts, and only video items fail, each with this reason.
            _missingTools = string.Join(" ", missing);
            _logger.LogWarning("video: {Missing} Video items will fail with {Code}; image items are not affected.", _missingTools, VideoErrorCodes.ToolsMissing);
        }

        // A worker killed mid-decode runs no finally; its successor removes what it left. Only folders older than
        // twice the longest deadline any worker may have (validation caps DecodeTimeout at an hour), so a running
        // decode of a neighbour worker or CLI with other settings is never touched.
        var stale = PrivateTempDirectory.DeleteStale(_options.TempDirectory, 2 * VideoOptions.MaxDecodeTimeout, _time.GetUtcNow().UtcDateTime);
        if (stale > 0)
        {
            _logger.LogInformation("video: removed {Count} temporary folders left by an earlier worker", stale);
        }
    }

    public VideoOptions Options => _options;

    /// <summary>Seek in every container, MPEG-TS included (for tests of the retry without seeks).</summary>
    internal bool SeekInAnyFormat { get; init; }

    /// <summary>Frames sampled for a request of <paramref name="requested"/> (the default where null), capped at <see cref="VideoOptions.MaxFrames"/>.</summary>
    public int FrameCount(int? requested)
    {
        if (requested is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(requested), requested, "A video needs at least one frame.");
        }

        return Math.Min(requested ?? _options.DefaultFrames, _options.MaxFrames);
    }

    /// <summary>
    /// The size a model's preprocessor resizes a <paramref name="width"/>×<paramref name="height"/> frame to
    /// (before any crop): <c>size</c> exactly, or the short side to <c>shortest_edge</c> (long side truncated, as
    /// transformers does).
    /// </summary>
    public static (int Width, int Height) ModelInputSize(ImageProcessorConfig config, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!config.DoResize)
        {
            return (width, height);
        }

        if (config.ShortestEdge is int edge)
        {
            var (shortSide, longSide) = width <= height ? (width, height) : (height, width);
            var newLong = Math.Max(1, (int)((double)edge * longSide / shortSide));
            return width <= height ? (edge, newLong) : (newLong, edge);
        }

        return (config.SizeWidth!.Value, config.SizeHeight!.Value);
    }

    /// <summary>Probes a video (limits included) without decoding it.</summary>
    /// <exception cref="PermanentItemException">The video breaks a limit or cannot be read (<see cref="VideoErrorCodes"/>).</exception>
    public Task<VideoProbe> ProbeAsync(VideoInput input, CancellationToken ct) =>
        RunAsync(input, async (file, token) => (await ProbeFileAsync(file, input.Name, token)).Probe, ct);

    /// <summary>Samples frames at the source size (after rotation) and hands each to <paramref name="convert"/>.</summary>
    /// <param name="frames">Frames wanted; <see cref="VideoOptions.DefaultFrames"/> where null; capped at <see cref="VideoOptions.MaxFrames"/>.</param>
    /// <exception cref="PermanentItemException">The video breaks a limit, cannot be decoded or took too long (<see cref="VideoErrorCodes"/>).</exception>
    public Task<SampledVideo<T>> SampleAsync<T>(VideoInput input, int? frames, FrameConverter<T> convert, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(convert);
        return SampleCoreAsync(input, FrameCount(frames), convert, static _ => null, null, ct);
    }

    /// <summary>Samples frames and preprocesses each for the model as it arrives (the preprocessor resizes, unless <see cref="VideoOptions.ScaleInFfmpeg"/>).</summary>
    public Task<SampledVideo<PixelValues>> SampleAsync(VideoInput input, int? frames, ImagePreprocessor preprocessor, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(preprocessor);
        Func<VideoProbe, (int, int)?> size = _options.ScaleInFfmpeg
            ? probe => ModelInputSize(preprocessor.Config, probe.Width, probe.Height)
            : static _ => null;
        return SampleCoreAsync(input, FrameCount(frames), (rgb, width, height) => preprocessor.Preprocess(rgb, width, height), size, ScaleFlags(preprocessor.Config.Resample), ct);
    }

    /// <summary>Samples frames as packed RGB24 at the source size (after rotation).</summary>
    public Task<SampledVideo<byte[]>> SampleRgbAsync(VideoInput input, int? frames, CancellationToken ct) =>
        SampleAsync(input, frames, static (rgb, _, _) => rgb.ToArray(), ct);

    public void Dispose() => _slots.Dispose();

    private static string ScaleFlags(int resample) => resample switch
    {
        1 => "lanczos",
        2 => "bilinear",
        4 => "area",
        _ => "bicubic",
    } + "+accurate_rnd+full_chroma_int";

    private async Task<SampledVideo<T>> SampleCoreAsync<T>(
        VideoInput input, int count, FrameConverter<T> convert, Func<VideoProbe, (int Width, int Height)?> scaleTo, string? scaleFlags, CancellationToken ct)
    {
        return await RunAsync(input, async (file, token) =>
        {
            var started = _time.GetTimestamp();
            var (probe, index, formatStart) = await ProbeFileAsync(file, input.Name, token);
            var probed = _time.GetElapsedTime(started);
            var timestamps = FrameSchedule.Uniform(index.Start, index.End - index.Start, count);
            var picks = FrameSchedule.ShownAt(index.Times, timestamps);
            var wanted = picks.Distinct().Order().ToArray();
            var (width, height) = scaleTo(probe) ?? (probe.Width, probe.Height);
            var flags = scaleTo(probe) is null ? null : scaleFlags;

            // Seek where the container has an index ffmpeg seeks by exactly; elsewhere (and where a seek went wrong
            // anyway: too few frames, a failed exit) decode from the start. Wrong frames are impossible either way:
            // the select filter keeps only the listed frame times.
            var seek = SeekInAnyFormat || s_seekableFormats.Any(f => probe.Format.Split(',').Contains(f, StringComparer.Ordinal));
            var (decoded, runs, processes, failure) = await DecodeAsync(file, probe, index, wanted, seek, width, height, flags, formatStart, convert, input.Name, token);
            if (failure is not null && seek)
            {
                _logger.LogWarning("video {Name}: decoding with seeks failed ({Reason}); decoding from the start instead", input.Name, failure);
                (decoded, runs, processes, failure) = await DecodeAsync(file, probe, index, wanted, seek: false, width, height, flags, formatStart, convert, input.Name, token);
            }

            if (failure is not null)
            {
                throw Fail(VideoErrorCodes.Corrupt, $"{input.Name}: {failure}");
            }

            // One result per timestamp; timestamps that fell on the same frame share its converted value.
            var position = wanted.Select((frame, i) => (frame, i)).ToDictionary(p => p.frame, p => p.i);
            var frames = picks.Select(p => decoded[position[p]]).ToArray();
            var elapsed = _time.GetElapsedTime(started);
            _logger.LogDebug("video {Name}: {Frames} frames ({Distinct} distinct) of {Width}x{Height} {Codec}, {Duration:0.##} s, {Runs} seek points in {Processes} ffmpeg run(s), about {Decoded} frames decoded, {Probe:0} ms probe, {Elapsed:0} ms in all",
                input.Name, frames.Length, wanted.Length, probe.Width, probe.Height, probe.Codec, probe.DurationSeconds, runs.Count, processes,
                runs.Sum(r => r.EstimatedDecodedFrames), probed.TotalMilliseconds, elapsed.TotalMilliseconds);
            return new SampledVideo<T>(probe, timestamps, picks.Select(p => index.Times[p]).ToArray(), frames, width, height, processes, probed, elapsed);
        }, ct);
    }

    /// <summary>Size check, a decode slot, the private temp file and the deadline around one video's work.</summary>
    private async Task<TResult> RunAsync<TResult>(VideoInput input, Func<string, CancellationToken, Task<TResult>> work, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (_missingTools is not null)
        {
            throw Fail(VideoErrorCodes.ToolsMissing, $"{input.Name}: this encoder cannot decode videos: {_missingTools}");
        }
        var length = input.FilePath is { } path ? (File.Exists(path) ? new FileInfo(path).Length : throw new FileNotFoundException($"{path}: no such file", path)) : input.Bytes.Length;
        if (length > _options.MaxBytes)
        {
            throw Fail(VideoErrorCodes.TooLarge, $"{input.Name}: the file is {length} bytes; the limit is {_options.MaxBytes}");
        }

        if (length == 0)
        {
            throw Fail(VideoErrorCodes.Corrupt, $"{input.Name}: the file is empty (0 bytes)");
        }

        // The wait for a slot is not decode time: the deadline starts once this video may run.
        await _slots.WaitAsync(ct);
        try
        {
            using var timeout = new CancellationTokenSource(_options.DecodeTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
            PrivateTempDirectory? temp = null;
            try
            {
                var file = input.FilePath;
                if (file is null)
                {
                    temp = PrivateTempDirectory.Create(_options.TempDirectory);
                    file = Path.Combine(temp.Path, "video" + Extension(input.Name));
                    await File.WriteAllBytesAsync(file, input.Bytes, linked.Token);
                }

                // The file protocol, always: a local name such as "http:x" or "concat:a|b" is then just a file name.
                return await work("file:" + file, linked.Token);
            }
            catch (Exception ex) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                throw Fail(VideoErrorCodes.Timeout, $"{input.Name}: probing and decoding took longer than {_options.DecodeTimeout.TotalSeconds:0.###} s (Epd:Video:DecodeTimeout); ffmpeg was stopped", ex);
            }
            catch (Exception ex) when (ct.IsCancellationRequested && ex is not OperationCanceledException)
            {
                // A killed process shows up as a short read or a failed exit: the cause is the cancellation.
                throw new OperationCanceledException($"{input.Name}: decoding was cancelled", ex, ct);
            }
            finally
            {
                temp?.Dispose();
            }
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task<(VideoProbe Probe, FrameIndex Index, double FormatStart)> ProbeFileAsync(string file, string name, CancellationToken ct)
    {
        var report = new ProbeReport();
        var maxPackets = VideoAnalysis.MaxPackets(_options);
        var arguments = new List<string>(s_inputOptions);
        arguments.AddRange(ProbeReport.Arguments(file));
        using var process = ToolProcess.Start(_ffprobe!, arguments);
        using (process.KillOn(ct))
        {
            while (await process.OutputReader.ReadLineAsync(ct) is { } line)
            {
                report.AddLine(line);
                if (report.Packets.Count > maxPackets)
                {
                    throw Fail(VideoErrorCodes.TooLong, $"{name}: the video has more than {maxPackets} frames; the duration limit is {_options.MaxDurationSeconds:0.###} s");
                }
            }

            var (exitCode, errors) = await process.WaitAsync(ct);
            ct.ThrowIfCancellationRequested();
            if (exitCode != 0)
            {
                throw Fail(VideoErrorCodes.Corrupt, $"{name}: not a readable video ({LastLine(errors) ?? $"ffprobe exit code {exitCode}"})");
            }
        }

        var (probe, index) = VideoAnalysis.Analyze(report, _options, name);
        return (probe, index, report.FormatStartSeconds ?? 0);
    }

    /// <summary>All runs of one plan; on failure the reason (and no exception), so the caller can retry without seeks.</summary>
    private async Task<(List<T> Frames, IReadOnlyList<DecodeRun> Runs, int Processes, string? Failure)> DecodeAsync<T>(
        string file, VideoProbe probe, FrameIndex index, int[] wanted, bool seek, int width, int height, string? flags, double formatStart,
        FrameConverter<T> convert, string name, CancellationToken ct)
    {
        var runs = DecodePlanner.Plan(index, wanted, seek);
        var decoded = new List<T>(wanted.Length);
        var processes = 0;
        foreach (var group in runs.Chunk(_options.MaxInputsPerRun))
        {
            var arguments = FfmpegCommand.Build(file, s_inputOptions, probe, index, group, width, height, flags, _options.DecoderThreads, formatStart, seek);
            processes++;
            var failure = await RunFfmpegAsync(arguments, group.Sum(r => r.Frames.Count), width, height, convert, decoded, name, ct);
            if (failure is not null)
            {
                return (decoded, runs, processes, failure);
            }
        }

        return (decoded, runs, processes, null);
    }

    /// <summary>One ffmpeg process: reads its frames into <paramref name="output"/>; returns why it fell short, or null.</summary>
    private async Task<string?> RunFfmpegAsync<T>(
        IReadOnlyList<string> arguments, int expected, int width, int height, FrameConverter<T> convert, List<T> output, string name, CancellationToken ct)
    {
        var frameBytes = checked(width * height * 3);
        var buffer = new byte[frameBytes];
        var started = Stopwatch.GetTimestamp();
        using var process = ToolProcess.Start(_ffmpeg!, arguments);
        using (process.KillOn(ct))
        {
            var received = 0;
            while (received < expected)
            {
                var read = await process.Output.ReadAtLeastAsync(buffer, frameBytes, throwOnEndOfStream: false, ct);
                if (read < frameBytes)
                {
                    break;
                }

                output.Add(convert(buffer, width, height));
                received++;
            }

            // Nothing more is expected; draining keeps a misbehaving ffmpeg from blocking on a full pipe.
            var extra = await DrainAsync(process.Output, ct);
            var (exitCode, errors) = await process.WaitAsync(ct);
            ct.ThrowIfCancellationRequested();
            if (exitCode != 0)
            {
                return $"the frames cannot be decoded ({LastLine(errors) ?? $"ffmpeg exit code {exitCode}"})";
            }

            if (received < expected)
            {
                return $"decoded {received} of {expected} frames{(LastLine(errors) is { } error ? $" ({error})" : string.Empty)}";
            }

            if (extra > 0)
            {
                _logger.LogWarning("video {Name}: ffmpeg wrote {Extra} bytes more than {Expected} frames", name, extra, expected);
            }

            _logger.LogTrace("video {Name}: ffmpeg pid {Pid} decoded {Frames} frames in {Elapsed:0} ms", name, process.Id, received, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return null;
        }
    }

    private static async Task<long> DrainAsync(Stream stream, CancellationToken ct)
    {
        var scratch = new byte[81920];
        long total = 0;
        int read;
        while ((read = await stream.ReadAsync(scratch, ct)) > 0)
        {
            total += read;
        }

        return total;
    }

    private static string Extension(string name)
    {
        // The extension helps ffmpeg's format guess; only known container extensions are kept (never a playlist's).
        var end = name.IndexOfAny(['?', '#']);
        var path = end < 0 ? name : name[..end];
        var dot = path.LastIndexOf('.');
        var extension = dot < 0 ? string.Empty : path[(dot + 1)..].ToLowerInvariant();
        return s_extensions.Contains(extension) ? "." + extension : string.Empty;
    }

    private static string? LastLine(string errors)
    {
        var lines = errors.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? null : lines[^1];
    }

    private static PermanentItemException Fail(string code, string message, Exception? inner = null) => new(PipelineStages.Encoder, code, message, inner);
}
