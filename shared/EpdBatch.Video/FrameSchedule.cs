namespace EpdBatch.Video;

/// <summary>
/// Which frames a video is sampled at. N timestamps split the video into N equal spans and take the middle of each:
/// <c>t_i = start + (i + 0.5) · duration / N</c>, i = 0 … N−1, where <c>start</c> is the first frame's presentation
/// time and <c>duration</c> runs to the last frame's end. For each timestamp the frame taken is the one on screen at
/// that time: the last frame whose presentation time is at or before it. At a constant frame rate, N up to the
/// frame count gives N distinct frames (a video of N frames sampled at N gives every frame once). Mid-span times never
/// take the very first or last frame (often black fades); transformers' default (<c>linspace(0, frames-1, N)</c>
/// on frame indices) takes both ends instead.
/// </summary>
public static class FrameSchedule
{
    /// <summary>Names this schedule in the encoder's token cache key: change it whenever the frames picked change.</summary>
    public const string Name = "uniform-mid";

    // Timestamps and frame times are both computed in double from exact rationals; a frame "at" a timestamp may come
    // out a few ulps above it, which must not push the choice back to the previous frame.
    private const double Tolerance = 1e-9;

    /// <summary><c>t_i = start + (i + 0.5) · duration / count</c>, in seconds.</summary>
    public static double[] Uniform(double start, double duration, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        if (!(duration > 0) || double.IsInfinity(duration))
        {
            throw new ArgumentOutOfRangeException(nameof(duration), duration, "The duration must be positive and finite.");
        }

        var times = new double[count];
        for (var i = 0; i < count; i++)
        {
            times[i] = start + ((i + 0.5) * duration / count);
        }

        return times;
    }

    /// <summary>
    /// For each timestamp, the index of the frame on screen at that time: the last frame whose presentation time is
    /// at or before it (the first frame for a timestamp before every frame).
    /// </summary>
    /// <param name="frameTimes">Presentation times of the frames, ascending.</param>
    /// <param name="timestamps">Requested times, ascending.</param>
    public static int[] ShownAt(IReadOnlyList<double> frameTimes, IReadOnlyList<double> timestamps)
    {
        ArgumentNullException.ThrowIfNull(frameTimes);
        ArgumentNullException.ThrowIfNull(timestamps);
        if (frameTimes.Count == 0)
        {
            throw new ArgumentException("There are no frames to pick from.", nameof(frameTimes));
        }

        var picks = new int[timestamps.Count];
        var frame = 0;
        for (var i = 0; i < timestamps.Count; i++)
        {
            if (i > 0 && timestamps[i] < timestamps[i - 1])
            {
                throw new ArgumentException("Timestamps must be ascending.", nameof(timestamps));
            }

            // Both lists ascend, so one forward walk finds every pick.
            while (frame < frameTimes.Count - 1 && frameTimes[frame + 1] <= timestamps[i] + Tolerance)
            {
                frame++;
            }

            picks[i] = frame;
        }

        return picks;
    }
}
