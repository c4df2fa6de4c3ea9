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
/// ffmpeg frame source: good videos end in the tokens the single-process runtime gives for the same frames, bad
/// ones in exactly one failure with their reason, and no ffmpeg process or temporary file outlives the run.
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

        // The encoder stage loads the image preprocessor at start too; this video-only folder has none, and the
        // model's images would take the same 56×56 preprocessing.
        File.Copy(Path.Combine(_model, "video_preprocessor_config.json"), Path.Combine(_model, "preprocessor_config.json"));
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

        var now = DateTimeOffset.UtcNow;
        EncodeItem Item(int index, string id, string path, string prompt, int maxTokens = 6) =>
            new(Job, index, id, prompt, [new MediaReference(MediaKind.Video, path)], new SamplingSettings(MaxTokens: maxTokens), now);
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
        };

        var results = await RunAsync(items);

        Assert.That(results.Keys, Is.EquivalentTo(Enumerable.Range(0, items.Count)), "every item ends exactly once");
        var failed = results.Values.OfType<ItemFailed>().ToDictionary(f => f.CustomId);
        Assert.That(failed.Keys, Is.EquivalentTo(new[] { "corrupt", "audio", "long", "large" }));
        Assert.That(failed["corrupt"].Code, Is.EqualTo(VideoErrorCodes.Corrupt));
        Assert.That(failed["audio"].Code, Is.EqualTo(VideoErrorCodes.NoVideoStream));
        Assert.That(failed["long"].Code, Is.EqualTo(VideoErrorCodes.TooLong));
        Assert.That(failed["large"].Code, Is.EqualTo(VideoErrorCodes.TooLarge));
        Assert.That(failed.Values.Select(f => f.Stage), Is.All.EqualTo(PipelineStages.Encoder));

        // The golden video decodes (FFV1, lossless) to the golden PNG frames themselves.
        var preprocessor = new ImagePreprocessor(ImageProcessorConfig.FromFolder(_model, video: true));
        var goldenFrames = TestData.GoldenFrames().Select(f => preprocessor.Preprocess(File.ReadAllBytes(f))).ToArray();
        using var sampler = new FfmpegFrameSampler(Options.Create(new VideoOptions { DefaultFrames = 4 }));
        var expected = SingleProcess(items.Take(4).ToList(), new[]
        {
            goldenFrames,
            (await sampler.SampleAsync(VideoInput.FromFile(counter), null, preprocessor, CancellationToken.None)).Frames,
            (await sampler.SampleAsync(VideoInput.FromFile(webm), null, preprocessor, CancellationToken.None)).Frames,
            goldenFrames,
        });
        for (var i = 0; i < 4; i++)
        {
            var completed = (ItemCompleted)results[i];
            Assert.That(completed.Tokens, Is.EqualTo(expected[i]), $"item {i} ({items[i].CustomId})");
        }

        Assert.That(Directory.GetFileSystemEntries(_temp), Is.Empty, "no temporary video file survives");
        Assert.That(ToolProcesses.Alive(_temp), Is.Empty, "no ffmpeg or ffprobe survives");
    }

    private List<int[]> SingleProcess(List<EncodeItem> items, IReadOnlyList<IReadOnlyList<PixelValues>> frames)
    {
        using var encoder = VisionEncoder.Load(_model);
        using var language = LanguageModel.Load(_model);
        var prompts = new PromptEncoder(language.Config, language.Tokenizer!);
        var outputs = new List<int[]>();
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            var media = encoder.EncodeVideos([frames[i]]);
            Assert.That(media[0].Tokens, Is.EqualTo(encoder.TokensPerVideo(4)));
            var sampling = SamplingMapper.ToRuntime(item.Sampling, item.JobId, item.ItemIndex, language.DefaultStopTokenIds);
            using var prefill = language.Prefill([new PrefillRequest(prompts.Encode(item.Prompt, 0, 1), media, sampling)])[0];
            var tokens = new List<int> { prefill.FirstToken };
            if (FinishReason.After(prefill.FirstToken, 1, sampling) is null)
            {
                using var batch = language.CreateDecodeBatch(1);
                batch.Admit(prefill, sampling);
                while (batch.ActiveCount > 0)
                {
                    tokens.AddRange(batch.Step().Select(s => s.Token));
                }
            }

            outputs.Add([.. tokens]);
        }

        return outputs;
    }

    private async Task<IReadOnlyDictionary<int, object>> RunAsync(IReadOnlyList<EncodeItem> items)
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
        var collector = new ResultCollector(items.Count);
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
            foreach (var item in items)
            {
                await bus.Publish(item);
            }

            await collector.Done.WaitAsync(TimeSpan.FromMinutes(3));
            var tensors = host.Services.GetRequiredService<ITensorStore>();
            Assert.That(await tensors.CountKeysAsync($"mm:{Job}:*", CancellationToken.None), Is.Zero, "no token entries left");
            Assert.That(await tensors.CountKeysAsync($"kv:{Job}:*", CancellationToken.None), Is.Zero, "no KV entries left");
            var progress = await host.Services.GetRequiredService<IStageProgress>().GetAsync(Job, CancellationToken.None);
            Assert.That(progress[PipelineStages.Encoder], Is.EqualTo(4));
            return collector.Results;
        }
        finally
        {
            await host.StopAsync();
        }
    }

    internal sealed class ResultCollector(int expected)
    {
        private readonly ConcurrentDictionary<int, object> _results = new();
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyDictionary<int, object> Results => _results;

        public Task Done => _done.Task;

        public void Add(int index, object result)
        {
            if (!_results.TryAdd(index, result))
            {
                _done.TrySetException(new AssertionException($"item {index} ended twice"));
            }

            if (_results.Count == expected)
            {
                _done.TrySetResult();
            }
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
}
