using EpdBatch.Contracts;
using EpdBatch.Encoder;
using EpdBatch.Imaging;
using EpdBatch.Pipeline;
using EpdBatch.Pipeline.Options;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EpdBatch.Video.Tests;

/// <summary>
/// The encoder stage on model folders that take one kind of media: it starts, takes that kind, and fails the other
/// kind's items with <see cref="EncoderStage.UnsupportedMediaKind"/>; a folder that takes neither stops it at start.
/// </summary>
[TestFixture]
public sealed class EncoderMediaKindTests
{
    private string _root = null!;

    [SetUp]
    public void CreateRoot() => _root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "epd-vtest-kinds-" + Guid.NewGuid().ToString("N"))).FullName;

    [TearDown]
    public void DeleteRoot() => Directory.Delete(_root, recursive: true);

    [Test]
    public async Task A_video_only_folder_takes_videos_and_fails_images()
    {
        var model = TestData.CopyToTemp(TestData.OnevisionVideo, Path.Combine(_root, "video-only"));
        await using var stage = Start(model);

        Assert.That(stage.PreprocessorFor(MediaKind.Video, "az://m/clip.mp4").Config.Source, Does.EndWith(ImageProcessorConfig.VideoConfigFileName));
        var error = Assert.Throws<PermanentItemException>(() => stage.PreprocessorFor(MediaKind.Image, "az://m/cat.jpg"))!;
        Assert.That((error.Stage, error.Code), Is.EqualTo((PipelineStages.Encoder, EncoderStage.UnsupportedMediaKind)));
        Assert.That(error.Message, Does.StartWith("az://m/cat.jpg: an image").And.Contain(ImageProcessorConfig.ImageConfigFileName));
    }

    [Test]
    public async Task A_model_without_a_video_token_takes_images_and_fails_videos()
    {
        await using var stage = Start(TestData.Folder("llava-tiny-clip-llama"));

        Assert.That(stage.PreprocessorFor(MediaKind.Image, "az://m/cat.jpg").Config.Source, Does.EndWith(ImageProcessorConfig.ImageConfigFileName));
        var error = Assert.Throws<PermanentItemException>(() => stage.PreprocessorFor(MediaKind.Video, "az://m/clip.mp4"))!;
        Assert.That(error.Code, Is.EqualTo(EncoderStage.UnsupportedMediaKind));
        Assert.That(error.Message, Does.Contain("video_token_index"));
    }

    [Test]
    public async Task An_image_config_alone_serves_both_kinds()
    {
        // As transformers' video processors of LLaVA-NeXT-Video and older OneVision folders: videos take the image settings.
        var model = TestData.CopyToTemp(TestData.OnevisionVideo, Path.Combine(_root, "image-config"));
        File.Move(Path.Combine(model, ImageProcessorConfig.VideoConfigFileName), Path.Combine(model, ImageProcessorConfig.ImageConfigFileName));
        await using var stage = Start(model);

        Assert.That(stage.PreprocessorFor(MediaKind.Image, "i").Config.Source, Does.EndWith(ImageProcessorConfig.ImageConfigFileName));
        Assert.That(stage.PreprocessorFor(MediaKind.Video, "v").Config.Source, Does.EndWith(ImageProcessorConfig.ImageConfigFileName));
    }

    [Test]
    public void A_folder_without_any_preprocessor_config_stops_the_encoder_at_start()
    {
        var model = TestData.CopyToTemp(TestData.OnevisionVideo, Path.Combine(_root, "none"));
        File.Delete(Path.Combine(model, ImageProcessorConfig.VideoConfigFileName));

        var error = Assert.Throws<FileNotFoundException>(() => Start(model))!;
        Assert.That(error.Message, Does.Contain("neither images").And.Contain(ImageProcessorConfig.VideoConfigFileName));
    }

    private static EncoderStage Start(string model) =>
        new(Options.Create(new EncoderOptions { ModelPath = model, MaxBatchSize = 4, ConcurrentMessageLimit = 4, PrefetchCount = 8 }), NullLogger<EncoderStage>.Instance);
}
