using EpdBatch.Video.Internal;

namespace EpdBatch.Video.Tests;

/// <summary>The decode plan: seek where a keyframe is near, decode on where it is cheaper.</summary>
[TestFixture]
public sealed class DecodePlannerTests
{
    [Test]
    public void Short_gops_far_apart_seek_to_each_frame()
    {
        var index = Index(frames: 600, gop: 30);
        var runs = DecodePlanner.Plan(index, [45, 195, 345, 495], seek: true);
        Assert.That(runs.Select(r => r.Frames), Is.EqualTo(new[] { new[] { 45 }, new[] { 195 }, new[] { 345 }, new[] { 495 } }));
        Assert.That(runs.Select(r => r.EstimatedDecodedFrames), Is.All.EqualTo(16), "from the keyframe at 30, 180, ... to the frame");
    }

    [Test]
    public void One_long_gop_decodes_once_front_to_back()
    {
        var index = Index(frames: 150, gop: 250);
        var runs = DecodePlanner.Plan(index, [9, 28, 46, 65, 84, 103, 121, 140], seek: true);
        Assert.That(runs, Has.Count.EqualTo(1));
        Assert.That(runs[0].EstimatedDecodedFrames, Is.EqualTo(141));
    }

    [Test]
    public void Close_frames_share_a_run_and_far_ones_seek()
    {
        var index = Index(frames: 300, gop: 60);
        var runs = DecodePlanner.Plan(index, [10, 14, 250], seek: true);
        Assert.That(runs.Select(r => r.Frames), Is.EqualTo(new[] { new[] { 10, 14 }, new[] { 250 } }));
    }

    [Test]
    public void Without_seeking_there_is_one_run()
    {
        var index = Index(frames: 300, gop: 30);
        var runs = DecodePlanner.Plan(index, [45, 195], seek: false);
        Assert.That(runs.Single().Frames, Is.EqualTo(new[] { 45, 195 }));
        Assert.That(runs.Single().EstimatedDecodedFrames, Is.EqualTo(196));
    }

    /// <summary>A constant-rate stream without reordering: decode position = display position.</summary>
    private static FrameIndex Index(int frames, int gop)
    {
        var times = Enumerable.Range(0, frames).Select(i => i / 30.0).ToArray();
        var positions = Enumerable.Range(0, frames).ToArray();
        var seekStart = positions.Select(p => p / gop * gop).ToArray();
        return new FrameIndex(times, positions, seekStart, 1 / 30.0);
    }
}
