namespace EpdBatch.Video.Tests;

[TestFixture]
public sealed class FrameScheduleTests
{
    [Test]
    public void Timestamps_are_the_middles_of_n_equal_spans()
    {
        Assert.That(FrameSchedule.Uniform(0, 5, 8), Is.EqualTo(new[] { 0.3125, 0.9375, 1.5625, 2.1875, 2.8125, 3.4375, 4.0625, 4.6875 }).Within(1e-12));
        Assert.That(FrameSchedule.Uniform(1.5, 4, 4), Is.EqualTo(new[] { 2.0, 3.0, 4.0, 5.0 }).Within(1e-12));
        Assert.That(FrameSchedule.Uniform(0, 10, 1), Is.EqualTo(new[] { 5.0 }));
        Assert.That(() => FrameSchedule.Uniform(0, 0, 4), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => FrameSchedule.Uniform(0, 1, 0), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void The_frame_taken_is_the_one_on_screen_at_the_timestamp()
    {
        double[] frames = [0.0, 0.04, 0.08, 0.12];
        Assert.That(FrameSchedule.ShownAt(frames, [0.0, 0.039, 0.04, 0.041, 0.5]), Is.EqualTo(new[] { 0, 0, 1, 1, 3 }));

        // A frame exactly at the timestamp is taken even where double arithmetic puts it a few ulps later.
        Assert.That(FrameSchedule.ShownAt([0.0, 0.1 + 0.2], [0.3]), Is.EqualTo(new[] { 1 }));

        // More timestamps than frames: each frame is shown through its span, so picks repeat.
        var picks = FrameSchedule.ShownAt([0.0, 1.0], FrameSchedule.Uniform(0, 2, 4));
        Assert.That(picks, Is.EqualTo(new[] { 0, 0, 1, 1 }));
    }

    [Test]
    public void N_frames_sampled_n_times_gives_every_frame_once()
    {
        var frames = Enumerable.Range(0, 30).Select(i => i / 30.0).ToArray();
        Assert.That(FrameSchedule.ShownAt(frames, FrameSchedule.Uniform(0, 1, 30)), Is.EqualTo(Enumerable.Range(0, 30)));
    }
}
