namespace EpdBatch.Video.Internal;

/// <summary>One video stream as ffprobe lists it.</summary>
internal sealed record ProbeStream(
    int Index,
    string Codec,
    int Width,
    int Height,
    long TimeBaseNum,
    long TimeBaseDen,
    double? StartSeconds,
    double? DurationSeconds,
    double? FrameRate,
    bool AttachedPicture,
    int ClockwiseRotation);
