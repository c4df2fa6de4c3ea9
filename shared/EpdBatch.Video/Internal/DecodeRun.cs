namespace EpdBatch.Video.Internal;

/// <summary>
/// One ffmpeg input: seek to just before <see cref="Frames"/>[0] and decode through the rest, keeping exactly those
/// frames (indices into the <see cref="FrameIndex"/>, ascending).
/// </summary>
internal sealed record DecodeRun(IReadOnlyList<int> Frames, int EstimatedDecodedFrames);
