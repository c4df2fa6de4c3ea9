using EpdBatch.Pipeline;

namespace EpdBatch.Video.Internal;

/// <summary>Picks the stream to sample from a probe report, checks the limits, and indexes its frames.</summary>
internal static class VideoAnalysis
{
    public static (VideoProbe Probe, FrameIndex Frames) Analyze(ProbeReport report, VideoOptions options, string name)
    {
        // A cover picture (attached_pic: mp3/m4a artwork) is a "video" stream of one still frame, not a video.
        var stream = report.Streams.FirstOrDefault(s => !s.AttachedPicture)
            ?? throw Fail(VideoErrorCodes.NoVideoStream, $"{name}: the file has no video stream{(report.Streams.Count > 0 ? " (only a cover picture)" : string.Empty)}");
        if (stream.Width <= 0 || stream.Height <= 0 || stream.TimeBaseNum <= 0 || stream.TimeBaseDen <= 0)
        {
            throw Fail(VideoErrorCodes.Corrupt, $"{name}: the video stream ({stream.Codec}) has no usable frame size or time base");
        }

        var quarterTurn = stream.ClockwiseRotation is 90 or 270;
        var (width, height) = quarterTurn ? (stream.Height, stream.Width) : (stream.Width, stream.Height);
        if (width > options.MaxWidth || height > options.MaxHeight)
        {
            throw Fail(VideoErrorCodes.TooLarge, $"{name}: the video is {width}x{height}; the limit is {options.MaxWidth}x{options.MaxHeight}");
        }

        // The header's duration fails an over-long video before any packet is looked at; the packets give the exact one.
        var declared = stream.DurationSeconds ?? report.FormatDurationSeconds;
        if (declared > options.MaxDurationSeconds)
        {
            throw Fail(VideoErrorCodes.TooLong, $"{name}: the video lasts {declared:0.###} s; the limit is {options.MaxDurationSeconds:0.###} s");
        }

        var frames = Index(report.Packets.Where(p => p.Stream == stream.Index).ToList(), stream)
            ?? throw Fail(VideoErrorCodes.Corrupt, $"{name}: the video stream ({stream.Codec}) has no frames with timestamps");
        var duration = frames.End - frames.Start;
        if (duration > options.MaxDurationSeconds)
        {
            throw Fail(VideoErrorCodes.TooLong, $"{name}: the video lasts {duration:0.###} s; the limit is {options.MaxDurationSeconds:0.###} s");
        }

        var probe = new VideoProbe(report.FormatName ?? "unknown", stream.Codec, stream.Index, width, height, stream.ClockwiseRotation,
            frames.Start, duration, frames.Count);
        return (probe, frames);
    }

    /// <summary>Most packets read from one video: far more than any video within the duration limit has at 1000 fps.</summary>
    public static int MaxPackets(VideoOptions options) => (int)Math.Min(int.MaxValue / 2, Math.Max(10_000, options.MaxDurationSeconds * 1000));

    private static FrameIndex? Index(List<ProbePacket> packets, ProbeStream stream)
    {
        var timeBase = (double)stream.TimeBaseNum / stream.TimeBaseDen;
        var times = new List<double>(packets.Count);
        var durations = new List<double>(packets.Count);
        var decodePosition = new List<int>(packets.Count);
        var seekStart = new List<int>(packets.Count);
        var lastKey = 0;
        var position = 0;
        foreach (var packet in packets)
        {
            // Discarded packets (edit-list pre-roll, priming) are never shown; packets without any timestamp cannot
            // be placed in time, so no sample can point at them.
            if (packet.Discard || (packet.Pts ?? packet.Dts) is not long timestamp)
            {
                continue;
            }

            if (packet.Key)
            {
                lastKey = position;
            }

            times.Add(timestamp * timeBase);
            durations.Add(packet.Duration is > 0 ? packet.Duration.Value * timeBase : 0);
            decodePosition.Add(position);
            seekStart.Add(lastKey);
            position++;
        }

        if (times.Count == 0)
        {
            return null;
        }

        // Presentation order; a stable sort keeps equal timestamps (broken files) in decode order.
        var order = Enumerable.Range(0, times.Count).OrderBy(i => times[i]).ToArray();
        var sortedTimes = order.Select(i => times[i]).ToArray();
        var last = order[^1];
        var lastDuration = durations[last];
        if (lastDuration <= 0)
        {
            lastDuration = TypicalInterval(sortedTimes) ?? (stream.FrameRate is > 0 ? 1 / stream.FrameRate.Value : 0.04);
        }

        return new FrameIndex(sortedTimes, order.Select(i => decodePosition[i]).ToArray(), order.Select(i => seekStart[i]).ToArray(), lastDuration);
    }

    private static double? TypicalInterval(double[] times)
    {
        if (times.Length < 2)
        {
            return null;
        }

        var gaps = new double[times.Length - 1];
        for (var i = 1; i < times.Length; i++)
        {
            gaps[i - 1] = times[i] - times[i - 1];
        }

        Array.Sort(gaps);
        var median = gaps[gaps.Length / 2];
        return median > 0 ? median : null;
    }

    private static PermanentItemException Fail(string code, string message) => new(PipelineStages.Encoder, code, message);
}
