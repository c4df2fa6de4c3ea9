namespace EpdBatch.Video.Internal;

/// <summary>
/// The sampled stream's frames in presentation order, from its packets: each frame's time, where it sits in decode
/// order, and where a seek to it starts decoding (the last keyframe before it in decode order). The decode planner
/// prices seeks and decode-through from these.
/// </summary>
internal sealed class FrameIndex
{
    public FrameIndex(double[] times, int[] decodePosition, int[] seekStart, double lastFrameDuration)
    {
        Times = times;
        DecodePosition = decodePosition;
        SeekStart = seekStart;
        LastFrameDuration = lastFrameDuration;
    }

    /// <summary>Presentation times in seconds, ascending.</summary>
    public double[] Times { get; }

    /// <summary>Position of each frame (by presentation order) in decode order.</summary>
    public int[] DecodePosition { get; }

    /// <summary>Decode position of the keyframe a seek to each frame starts from.</summary>
    public int[] SeekStart { get; }

    public double LastFrameDuration { get; }

    public int Count => Times.Length;

    public double Start => Times[0];

    public double End => Times[^1] + LastFrameDuration;

    /// <summary>Smallest gap between consecutive frames (for a tolerance well inside one frame).</summary>
    public double MinInterval()
    {
        var min = double.PositiveInfinity;
        for (var i = 1; i < Times.Length; i++)
        {
            var gap = Times[i] - Times[i - 1];
            if (gap > 0 && gap < min)
            {
                min = gap;
            }
        }

        return double.IsPositiveInfinity(min) ? LastFrameDuration : min;
    }
}
