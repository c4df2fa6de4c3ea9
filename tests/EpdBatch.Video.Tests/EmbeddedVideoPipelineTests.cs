using System.Collections.Concurrent;
using EpdBatch.Contracts;
using EpdBatch.Decoder;
using EpdBatch.Encoder;
using EpdBatch.Imaging;
using EpdBatch.Model.Sampling;
using EpdBatch.Model.Stages;
using EpdBatch.Pipeline;
using EpdBatch.Pipeline.Messaging;
using EpdBatch.Pipeline.Progress;
using EpdBatch.Pipeline.Storage;
using EpdBatch.Prefill;
using EpdBatch.Stages;
using EpdBatch.Text;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EpdBatch.Video.Tests;

/// <summary>
/// Video items through the three model stages in one process (in-memory transport and stores), with the real
/// ffmpeg frame source and a video-only model folder: good videos end in the tokens the single-process runtime gives
/// for the same frames, bad ones (and an image, which this folder cannot take) in exactly one failure with their
/// reason, an item's own frame count is honoured and keys its cached tokens, and no ffmpeg process or temporary file
/// outlives the run.
/// </summary>
[TestFixture]
public sealed class EmbeddedVideoPipelineTests
{
    private const string Job = "video-job";

    private string _root = null!;
    private string _model = null!;
    private string _media = null!;
    private string _temp = null!;

    [OneTimeSetUp]
    public void CreateModel()
    {
        _root = Path.Combine(Path.GetTempPath(), "epd-vtest-stages-" + Guid.NewGuid().ToString("N"));
        _model = TestData.CopyToTemp(TestData.OnevisionVideo, Path.Combine(_root, "model"));

        // A tokenizer for text prompts; the prompt encoder maps its <video> onto the config's video_token_index (1101).
        TokenizerJsonWriter.WriteByteLevel(Path.Combine(_model, "tokenizer.json"), ["<|im_start|>", "<|im_end|>", "<image>", "<video>"]);

        // The folder stays video-only (video_preprocessor_config.json, no preprocessor_config.json): the encoder
        // starts, takes videos, and fails image items alone.
        Assert.That(File.Exists(Path.Combine(_model, ImageProcessorConfig.ImageConfigFileName)), Is.False);
        _media = Directory.CreateDirectory(Path.Combine(_root, "media")).FullName;
        _temp = Directory.CreateDirectory(Path.Combine(_root, "video-tmp")).FullName;
    }

    [OneTimeTearDown]
    public void Cleanup() => Directory.Delete(_root, recursive: true);

    [Test]
    public async Task Video_items_complete_or_fail_with_their_reason()
    {
        var golden = TestData.GoldenVideo(_media);
        var counter = TestVideos.Counter(_media, "counter.mp4", seconds: 5, fps: 25);
        var webm = TestVideos.Counter(_media, "counter.webm", seconds: 3, fps: 20, gop: 20, "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8");
        var corrupt = Path.Combine(_media, "corrupt.mp4");
        await File.WriteAllBytesAsync(corrupt, "definitely not a video"u8.ToArray());
        var audio = Path.Combine(_media, "speech.m4a");
        TestVideos.Run(["-f", "lavfi", "-i", "sine=duration=2", "-c:a", "aac", audio]);
        var tooLong = TestVideos.Counter(_media, "long.mp4", seconds: 12, fps: 5);
        var tooLarge = Path.Combine(_media, "large.mp4");
        TestVideos.Run(["-f", "lavfi", "-i", "testsrc2=s=320x240:r=10:d=1", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", tooLarge]);

        var image = Path.Combine(_media, "frame0.png");
        File.Copy(TestData.GoldenFrames()[0], image, overwrite: true);

        var items = new List<EncodeItem>
        {
            Item(0, "golden", golden, "What happens in this clip?"),
            Item(1, "counter", counter, "Is there a person?", 8),
            Item(2, "webm", webm, "Describe the video."),
            Item(3, "golden-again", golden, "Describe the video.", 5),
            Item(4, "corrupt", corrupt, "x"),
            Item(5, "audio", audio, "x"),
            Item(6, "long", tooLong, "x"),
            Item(7, "large", tooLarge, "x"),
            new(Job, 8, "image", "x", [new MediaReference(MediaKind.Image, image)], new SamplingSettings(4), DateTimeOffset.UtcNow),
        };

        var (results, _, _) = await RunAsync(items);

        Assert.That(results.Keys, Is.EquivalentTo(Enumerable.Range(0, items.Count)), "every item ends exactly once");
        var failed = results.Values.OfType<ItemFailed>().ToDictionary(f => f.CustomId);
        Assert.That(failed.Keys, Is.EquivalentTo(new[] { "corrupt", "audio", "long", "large", "image" }));
        Assert.That(failed["corrupt"].Code, Is.EqualTo(VideoErrorCodes.Corrupt));
        Assert.That(failed["audio"].Code, Is.EqualTo(VideoErrorCodes.NoVideoStream));
        Assert.That(failed["long"].Code, Is.EqualTo(VideoErrorCodes.TooLong));
        Assert.That(failed["large"].Code, Is.EqualTo(VideoErrorCodes.TooLarge));
        Assert.That(failed["image"].Code, Is.EqualTo(EncoderStage.UnsupportedMediaKind));
        Assert.That(failed["image"].Message, Does.Contain("preprocessor_config.json").And.Contain("videos only"));
        Assert.That(failed.Values.Select(f => f.Stage), Is.All.EqualTo(PipelineStages.Encoder));

        // The golden video decodes (FFV1, lossless) to the golden PNG frames themselves.
        var preprocessor = new ImagePreprocessor(ImageProcessorConfig.FromFolder(_model, video: true));
        var goldenFrames = TestData.GoldenFrames().Select(f => preprocessor.Preprocess(File.ReadAllBytes(f))).ToArray();
        using var sampler = new FfmpegFrameSampler(Options.Create(new VideoOptions { DefaultFrames = 4 }));
        IReadOnlyList<PixelValues>[] frames =
        [
            goldenFrames,
            (await sampler.SampleAsync(VideoInput.FromFile(counter), null, preprocessor, CancellationToken.None)).Frames,
            (await sampler.SampleAsync(VideoInput.FromFile(webm), null, preprocessor, CancellationToken.None)).Frames,
            goldenFrames,
        ];
        var expected = ReferenceRuntime.Run(_model, items.Take(4).Select((item, i) => Reference(item, frames[i])).ToList());
        for (var i = 0; i < 4; i++)
        {
            var completed = (ItemCompleted)results[i];
            Assert.That(completed.Tokens, Is.EqualTo(expected[i].Tokens), $"item {i} ({items[i].CustomId})");
        }

        Assert.That(Directory.GetFileSystemEntries(_temp), Is.Empty, "no temporary video file survives");
        Assert.That(ToolProcesses.Alive(_temp), Is.Empty, "no ffmpeg or ffprobe survives");
    }

    [Test]
    public async Task An_items_frame_count_is_sampled_and_keys_the_cached_tokens()
    {
        var golden = TestData.GoldenVideo(_media);

        // The same video three times, one after another so that the later ones find the first one's cached tokens:
        // the configured 4 frames, then 2 (t = 1 s and 3 s: frames 1 and 3), then 4 asked for explicitly.
        var (results, prefills, cached) = await RunAsync(
            [Item(0, "default", golden, "Describe the video.", frames: null)],
            [Item(1, "two", golden, "Describe the video.", frames: 2)],
            [Item(2, "four", golden, "Describe the video.", frames: 4)]);

        Assert.That(results.Values, Is.All.InstanceOf<ItemCompleted>());
        Assert.That(prefills.Keys, Is.EquivalentTo(new[] { 0, 1, 2 }));
        Assert.That(prefills.Select(p => (p.Key, p.Value.Media.Single().TokenCount)), Is.EquivalentTo(new[] { (0, 17), (1, 9), (2, 17) }),
            "4 frames × 4 pooled tokens + 1 newline, and 2 × 4 + 1: a cache keyed by the video alone would hand item 1 the 17 tokens of item 0");
        Assert.That(cached, Is.EqualTo(2), "one cache entry per frame count; an explicit 4 is the default's entry");

        var preprocessor = new ImagePreprocessor(ImageProcessorConfig.FromFolder(_model, video: true));
        var goldenFrames = TestData.GoldenFrames().Select(f => preprocessor.Preprocess(File.ReadAllBytes(f))).ToArray();
        var expected = ReferenceRuntime.Run(_model, [
            Reference(Item(1, "two", golden, "Describe the video.", frames: 2), [goldenFrames[1], goldenFrames[3]]),
            Reference(Item(2, "four", golden, "Describe the video.", frames: 4), goldenFrames)]);
        Assert.That(((ItemCompleted)results[1]).Tokens, Is.EqualTo(expected[0].Tokens));
        Assert.That(((ItemCompleted)results[2]).Tokens, Is.EqualTo(expected[1].Tokens));
    }

    private static EncodeItem Item(int index, string id, string path, string prompt, int maxTokens = 6, int? frames = null) =>
        new(Job, index, id, prompt, [new MediaReference(MediaKind.Video, path, frames)], new SamplingSettings(MaxTokens: maxTokens), DateTimeOffset.UtcNow);

    private static ReferenceRuntime.VideoItem Reference(EncodeItem item, IReadOnlyList<PixelValues> frames) =>
        new(item.Prompt, frames, item.Sampling, item.JobId, item.ItemIndex);

    /// <summary>Runs the items through the stages, wave after wave (each wave's items end before the next is sent).</summary>
    /// <returns>Each item's end, each completed item's prefill message, and the entries left in the token cache.</returns>
    private async Task<(IReadOnlyDictionary<int, object> Results, IReadOnlyDictionary<int, PrefillItem> Prefills, long Cached)> RunAsync(
        params IReadOnlyList<EncodeItem>[] waves)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            // Frames of two 4-frame videos share one encoder batch.
            ["Epd:Encoder:MaxBatchSize"] = "8",
            ["Epd:Decoder:MaxBatchSize"] = "3",
            ["Epd:Prefill:MaxBatchSize"] = "4",
            ["Epd:Storage:LocalRoot"] = _root,
            ["Epd:Video:DefaultFrames"] = "4",
            ["Epd:Video:MaxDurationSeconds"] = "10",
            ["Epd:Video:MaxWidth"] = "256",
            ["Epd:Video:TempDirectory"] = _temp,
        });
        var connections = new EpdConnectionOptions { Model = _model };
        builder.Configuration[EpdConnectionOptions.ModelVariable] = _model;
        var collector = new ResultCollector();
        builder.Services.AddSingleton(collector);
        builder.Services.AddEpdStorage(connections);
        builder.Services.AddEpdStageProgress(connections);
        builder.Services.AddEncoderStage(builder.Configuration);
        builder.Services.AddPrefillStage(builder.Configuration);
        builder.Services.AddDecoderStage(builder.Configuration);
        builder.Services.AddEpdMessaging(connections, bus =>
        {
            EncoderServiceCollectionExtensions.AddEncoderConsumers(bus);
            PrefillServiceCollectionExtensions.AddPrefillConsumers(bus);
            DecoderServiceCollectionExtensions.AddDecoderConsumers(bus);
            bus.AddConsumer<ResultCollectorConsumer>();
        });
        using var host = builder.Build();
        Assert.That(host.Services.GetRequiredService<IMediaFrameSource>(), Is.InstanceOf<FfmpegFrameSource>());
        await host.StartAsync();
        try
        {
            var bus = host.Services.GetRequiredService<IBus>();
            using var tap = bus.ConnectConsumeMessageObserver(new PrefillTap(collector));
            var sent = 0;
            foreach (var wave in waves)
            {
                foreach (var item in wave)
                {
                    await bus.Publish(item);
                }

                sent += wave.Count;
                await collector.WaitForAsync(sent, TimeSpan.FromMinutes(3));
            }

            var tensors = host.Services.GetRequiredService<ITensorStore>();
            Assert.That(await tensors.CountKeysAsync($"mm:{Job}:*", CancellationToken.None), Is.Zero, "no token entries left");
            Assert.That(await tensors.CountKeysAsync($"kv:{Job}:*", CancellationToken.None), Is.Zero, "no KV entries left");
            var progress = await host.Services.GetRequiredService<IStageProgress>().GetAsync(Job, CancellationToken.None);
            Assert.That(progress[PipelineStages.Encoder], Is.EqualTo(collector.Results.Values.OfType<ItemCompleted>().Count()));
            return (collector.Results, collector.Prefills, await tensors.CountKeysAsync("mmc:*", CancellationToken.None));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    internal sealed class ResultCollector
    {
        private readonly ConcurrentDictionary<int, object> _results = new();
        private readonly ConcurrentDictionary<int, PrefillItem> _prefills = new();
        private volatile string? _error;

        public IReadOnlyDictionary<int, object> Results => _results;

        public IReadOnlyDictionary<int, PrefillItem> Prefills => _prefills;

        public void Add(int index, object result)
        {
            if (!_results.TryAdd(index, result))
            {
                _error = $"item {index} ended twice";
            }
        }

        public void AddPrefill(PrefillItem item) => _prefills[item.ItemIndex] = item;

        public async Task WaitForAsync(int count, TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            while (_results.Count < count && _error is null)
            {
                await Task.Delay(50, cts.Token);
            }

            Assert.That(_error, Is.Null);
        }
    }

    internal sealed class ResultCollectorConsumer(ResultCollector collector) : IConsumer<ItemCompleted>, IConsumer<ItemFailed>
    {
        public Task Consume(ConsumeContext<ItemCompleted> context)
        {
            collector.Add(context.Message.ItemIndex, context.Message);
            return Task.CompletedTask;
        }

        public Task Consume(ConsumeContext<ItemFailed> context)
        {
            collector.Add(context.Message.ItemIndex, context.Message);
            return Task.CompletedTask;
        }
    }

    /// <summary>
    /// Watches the prefill messages as the prefill stage takes them, to read the token counts the encoder sent. (A
    /// second consumer would not see them: the encoder sends them to the prefill queue, it does not publish them.)
    /// </summary>
    internal sealed class PrefillTap(ResultCollector collector) : IConsumeMessageObserver<PrefillItem>
    {
        public Task PreConsume(ConsumeContext<PrefillItem> context)
        {
            collector.AddPrefill(context.Message);
            return Task.CompletedTask;
        }

        public Task PostConsume(ConsumeContext<PrefillItem> context) => Task.CompletedTask;

        public Task ConsumeFault(ConsumeContext<PrefillItem> context, Exception exception) => Task.CompletedTask;
    }
}
