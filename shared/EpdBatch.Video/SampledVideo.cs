namespace EpdBatch.Video;

/// <summary>The frames sampled from one video, in time order, with when each was asked for and what was taken.</summary>
/// <param name="Probe">The video as ffprobe described it.</param>
/// <param name="Timestamps">Requested times, seconds: <c>t_i = start + (i + 0.5) · duration / N</c> (<see cref="FrameSchedule.Uniform"/>).</param>
/// <param name="FrameTimes">Presentation time of the frame taken for each timestamp: the one on screen at that time.</param>
/// <param name="Frames">One converted frame per timestamp (the same object where two timestamps fall on one frame).</param>
/// <param name="Width">Width of the frames handed to the converter.</param>
/// <param name="Height">Height of the frames handed to the converter.</param>
/// <param name="FfmpegRuns">ffmpeg processes used (1 unless there were more seek points than <see cref="VideoOptions.MaxInputsPerRun"/>).</param>
/// <param name="ProbeElapsed">Wall time of the probe (ffprobe's packet listing) alone.</param>
/// <param name="Elapsed">Wall time of probe and decode, without any wait for a decode slot.</param>
public sealed record SampledVideo<T>(
    VideoProbe Probe,
    IReadOnlyList<double> Timestamps,
    IReadOnlyList<double> FrameTimes,
    IReadOnlyList<T> Frames,
    int Width,
    int Height,
    int FfmpegRuns,
    TimeSpan ProbeElapsed,
    TimeSpan Elapsed);
