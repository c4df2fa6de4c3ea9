using System.Globalization;
using System.Text;

namespace EpdBatch.Video.Internal;

/// <summary>
/// The arguments of one ffmpeg process that decodes a group of runs and writes their frames, in order, as raw RGB24
/// to stdout. Each run is an input of its own (<c>-ss</c> before <c>-i</c>: a keyframe seek, then decoding up to the
/// first wanted frame); <c>-copyts</c> keeps the stream's own timestamps, so a <c>select</c> expression keeps exactly
/// the wanted frames (by the times the probe listed: a seek that lands late yields too few frames, never wrong
/// ones), and <c>-t</c> ends each input just past its last frame (ffmpeg stops decoding it there). Rotation is
/// applied explicitly (<c>-noautorotate</c>), so the output size is known before the first byte arrives.
/// </summary>
internal static class FfmpegCommand
{
    public static IReadOnlyList<string> Build(
        string file, IReadOnlyList<string> inputOptions, VideoProbe probe, FrameIndex index, IReadOnlyList<DecodeRun> runs, int width, int height, string? scaleFlags, int decoderThreads, double formatStart, bool seek)
    {
        // Well inside one frame: a frame within this of a listed time is that frame.
        var interval = index.MinInterval();
        var tolerance = Math.Min(1e-4, interval / 4);
        var arguments = new List<string> { "-nostdin", "-hide_banner", "-nostats", "-loglevel", "error", "-copyts", "-filter_complex_threads", "1" };
        var graph = new StringBuilder();
        for (var k = 0; k < runs.Count; k++)
        {
            var run = runs[k];
            var first = index.Times[run.Frames[0]] - tolerance;
            arguments.AddRange(["-threads", Invariant(decoderThreads), "-noautorotate"]);

            // -ss counts from the container's start time; at or before the first frame no seek is needed.
            var offset = first - formatStart;
            var seeks = seek && offset > 0;
            if (seeks)
            {
                arguments.AddRange(["-ss", Invariant(offset)]);
            }

            // Where the input ends: half a frame past its last wanted frame. Without it ffmpeg 5 decodes every
            // input to the end of the file even after trim has closed its branch of the graph (measured: 20 s of
            // 720p decoded per seek point instead of a few frames).
            var end = index.Times[run.Frames[^1]] + (interval / 2);
            arguments.AddRange(["-t", Invariant(end - (seeks ? first : formatStart))]);

            arguments.AddRange(inputOptions);
            arguments.AddRange(["-i", file]);
            graph.Append(CultureInfo.InvariantCulture, $"[{k}:{probe.StreamIndex}]select='");
            for (var j = 0; j < run.Frames.Count; j++)
            {
                var time = Invariant(index.Times[run.Frames[j]]);
                graph.Append(j == 0 ? string.Empty : "+").Append(CultureInfo.InvariantCulture, $"lt(abs(t-{time}),{Invariant(tolerance)})");
            }

            graph.Append(CultureInfo.InvariantCulture, $"',trim=end_frame={run.Frames.Count}");
            graph.Append(probe.Rotation switch
            {
                90 => ",transpose=clock",
                180 => ",hflip,vflip",
                270 => ",transpose=cclock",
                _ => string.Empty,
            });

            // Always a scale to the planned size: a stream that changes size midway still yields equal frames.
            graph.Append(CultureInfo.InvariantCulture, $",scale={width}:{height}");
            if (scaleFlags is not null)
            {
                graph.Append(":flags=").Append(scaleFlags);
            }

            graph.Append(CultureInfo.InvariantCulture, $",format=rgb24,setsar=1[v{k}];");
        }

        for (var k = 0; k < runs.Count; k++)
        {
            graph.Append(CultureInfo.InvariantCulture, $"[v{k}]");
        }

        // Frame numbers as timestamps: strictly increasing whatever concat makes of one-frame segments.
        graph.Append(CultureInfo.InvariantCulture, $"concat=n={runs.Count}:v=1:a=0,setpts=N[out]");
        arguments.AddRange(["-filter_complex", graph.ToString(), "-map", "[out]", "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]);
        return arguments;
    }

    private static string Invariant(double value) => value.ToString("0.#########", CultureInfo.InvariantCulture);

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
