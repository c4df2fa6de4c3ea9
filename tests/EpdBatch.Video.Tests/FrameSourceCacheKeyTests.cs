using EpdBatch.Encoder;
using EpdBatch.Imaging;
using Microsoft.Extensions.Options;

namespace EpdBatch.Video.Tests;

/// <summary>
/// What a video's cached tokens are keyed by besides its bytes and the model (<see cref="IMediaFrameSource.Describe"/>):
/// the frame count after the cap, where the resize runs and the preprocessing — each of which changes the tokens.
/// </summary>
[TestFixture]
public sealed class FrameSourceCacheKeyTests
{
    [Test]
    public void The_key_changes_with_whatever_changes_the_frames()
    {
        var preprocessor = new ImagePreprocessor(ImageProcessorConfig.FromFolder(TestData.Folder(TestData.OnevisionVideo), video: true));
        var other = new ImagePreprocessor(ImageProcessorConfig.FromFolder(TestData.Folder("llava-tiny-clip-llama")));
        using var sampler = new FfmpegFrameSampler(Options.Create(new VideoOptions { DefaultFrames = 8, MaxFrames = 16 }));
        using var scaling = new FfmpegFrameSampler(Options.Create(new VideoOptions { DefaultFrames = 8, MaxFrames = 16, ScaleInFfmpeg = true }));
        var source = new FfmpegFrameSource(sampler);

        var key = source.Describe(null, preprocessor);
        Assert.That(key, Does.Contain("frames=8").And.Contain(FrameSchedule.Name).And.Contain(preprocessor.Config.Fingerprint));
        Assert.That(source.Describe(8, preprocessor), Is.EqualTo(key), "the default asked for explicitly is the same request");
        Assert.That(source.Describe(4, preprocessor), Is.Not.EqualTo(key));
        Assert.That(source.Describe(40, preprocessor), Is.EqualTo(source.Describe(16, preprocessor)), "a request over the cap samples the cap");
        Assert.That(source.Describe(null, other), Is.Not.EqualTo(key), "another preprocessing");
        Assert.That(new FfmpegFrameSource(scaling).Describe(null, preprocessor), Is.Not.EqualTo(key), "resized by ffmpeg instead");
    }

    [Test]
    public void The_preprocessing_fingerprint_follows_the_values_not_the_file()
    {
        var folder = TestData.Folder(TestData.OnevisionVideo);
        var video = ImageProcessorConfig.FromFolder(folder, video: true);
        var root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "epd-vtest-fp-" + Guid.NewGuid().ToString("N"))).FullName;
        try
        {
            // The same settings written another way (other key order and spacing, a default spelt out) and one value changed.
            var same = Path.Combine(root, "same.json");
            File.WriteAllText(same, """{"do_resize": true, "size": {"width": 56, "height": 56}, "resample": 3, "do_rescale": true, "rescale_factor": 0.00392156862745098, "do_normalize": true, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5], "do_convert_rgb": true}""");
            var changed = Path.Combine(root, "changed.json");
            File.WriteAllText(changed, File.ReadAllText(same).Replace("\"resample\": 3", "\"resample\": 2", StringComparison.Ordinal));

            Assert.That(ImageProcessorConfig.Load(same).Fingerprint, Is.EqualTo(video.Fingerprint));
            Assert.That(ImageProcessorConfig.Load(changed).Fingerprint, Is.Not.EqualTo(video.Fingerprint));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
