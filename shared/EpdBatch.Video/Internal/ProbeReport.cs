using System.Globalization;

namespace EpdBatch.Video.Internal;

/// <summary>
/// ffprobe's answer, read line by line from its <c>compact</c> writer (one <c>section|key=value|…</c> line per packet,
/// stream and format): the packet list of a long video is streamed and capped, never held as one JSON document.
/// </summary>
internal sealed class ProbeReport
{
    public List<ProbeStream> Streams { get; } = [];

    public List<ProbePacket> Packets { get; } = [];

    public string? FormatName { get; private set; }

    public double? FormatStartSeconds { get; private set; }

    public double? FormatDurationSeconds { get; private set; }

    /// <summary>The arguments that make ffprobe print what <see cref="AddLine"/> reads.</summary>
    public static IReadOnlyList<string> Arguments(string file) =>
    [
        "-hide_banner", "-v", "error",
        "-of", "compact=p=1:nk=0",
        // Video streams only: audio packets are not needed, and a file without video then lists no stream at all.
        "-select_streams", "v",
        "-show_entries",
        "format=format_name,start_time,duration" +
        ":stream=index,codec_name,width,height,time_base,start_time,duration,avg_frame_rate" +
        ":stream_disposition=attached_pic:stream_tags=rotate:stream_side_data=rotation" +
        ":packet=stream_index,pts,dts,duration,flags",
        file,
    ];

    /// <summary>Reads one line of output; returns false for a line it does not know (ignored).</summary>
    public bool AddLine(string line)
    {
        var fields = line.Split('|');
        switch (fields[0])
        {
            case "packet":
                Packets.Add(ParsePacket(fields));
                return true;
            case "stream":
                Streams.Add(ParseStream(fields));
                return true;
            case "format":
                FormatName = Value(fields, "format_name");
                FormatStartSeconds = Double(Value(fields, "start_time"));
                FormatDurationSeconds = Double(Value(fields, "duration"));
                return true;
            default:
                return false;
        }
    }

    private static ProbePacket ParsePacket(string[] fields)
    {
        var flags = Value(fields, "flags") ?? string.Empty;
        return new ProbePacket(
            (int)(Long(Value(fields, "stream_index")) ?? -1),
            Long(Value(fields, "pts")),
            Long(Value(fields, "dts")),
            Long(Value(fields, "duration")),
            Key: flags.Contains('K', StringComparison.Ordinal),
            Discard: flags.Contains('D', StringComparison.Ordinal));
    }

    private static ProbeStream ParseStream(string[] fields)
    {
        var (num, den) = Rational(Value(fields, "time_base"));
        var (rateNum, rateDen) = Rational(Value(fields, "avg_frame_rate"));

        // Display matrix side data (what ffmpeg 5+ exports) first; the legacy "rotate" tag is already clockwise.
        int? rotation = Long(Value(fields, "rotation")) is { } counterClockwise ? (int)-counterClockwise : null;
        rotation ??= Long(Value(fields, "tag:rotate")) is { } clockwise ? (int)clockwise : null;
        return new ProbeStream(
            Index: (int)(Long(Value(fields, "index")) ?? -1),
            Codec: Value(fields, "codec_name") ?? "unknown",
            Width: (int)(Long(Value(fields, "width")) ?? 0),
            Height: (int)(Long(Value(fields, "height")) ?? 0),
            TimeBaseNum: num,
            TimeBaseDen: den,
            StartSeconds: Double(Value(fields, "start_time")),
            DurationSeconds: Double(Value(fields, "duration")),
            FrameRate: rateNum > 0 && rateDen > 0 ? (double)rateNum / rateDen : null,
            AttachedPicture: Long(Value(fields, "disposition:attached_pic")) == 1,
            ClockwiseRotation: NormalizeRotation(rotation ?? 0));
    }

    private static int NormalizeRotation(int degrees)
    {
        // Only quarter turns are rotations ffmpeg applies; anything else is treated as upright.
        var quarter = (int)Math.Round(degrees / 90.0, MidpointRounding.AwayFromZero);
        return Math.Abs((quarter * 90) - degrees) > 1 ? 0 : ((quarter % 4) + 4) % 4 * 90;
    }

    private static string? Value(string[] fields, string key)
    {
        for (var i = 1; i < fields.Length; i++)
        {
            var field = fields[i];
            if (field.Length > key.Length && field[key.Length] == '=' && field.StartsWith(key, StringComparison.Ordinal))
            {
                var value = field[(key.Length + 1)..];
                return value is "" or "N/A" ? null : value;
            }
        }

        return null;
    }

    private static long? Long(string? value) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var result) ? result : null;

    private static double? Double(string? value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var result) && double.IsFinite(result) ? result : null;

    private static (long Num, long Den) Rational(string? value)
    {
        var slash = value?.IndexOf('/', StringComparison.Ordinal) ?? -1;
        if (value is null || slash < 0)
        {
            return (0, 0);
        }

        return (Long(value[..slash]) ?? 0, Long(value[(slash + 1)..]) ?? 0);
    }
}
