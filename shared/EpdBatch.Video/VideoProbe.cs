namespace EpdBatch.Video;

/// <summary>What ffprobe found in a video: the stream that is sampled and its timing.</summary>
/// <param name="Format">Container, as ffprobe names it (e.g. <c>mov,mp4,m4a,3gp,3g2,mj2</c>, <c>matroska,webm</c>).</param>
/// <param name="Codec">Codec of the sampled stream (e.g. <c>h264</c>, <c>vp9</c>).</param>
/// <param name="StreamIndex">Index of the sampled stream in the container.</param>
/// <param name="Width">Width of the frames as displayed, after <paramref name="Rotation"/>.</param>
/// <param name="Height">Height of the frames as displayed, after <paramref name="Rotation"/>.</param>
/// <param name="Rotation">Clockwise rotation (0, 90, 180, 270) applied to the stored frames for display.</param>
/// <param name="StartSeconds">Presentation time of the first frame.</param>
/// <param name="DurationSeconds">From the first frame's start to the last frame's end.</param>
/// <param name="FrameCount">Frames in the stream (packets that are not discarded).</param>
public sealed record VideoProbe(
    string Format,
    string Codec,
    int StreamIndex,
    int Width,
    int Height,
    int Rotation,
    double StartSeconds,
    double DurationSeconds,
    int FrameCount);
