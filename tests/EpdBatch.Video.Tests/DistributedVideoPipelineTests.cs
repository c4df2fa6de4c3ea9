using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using EpdBatch.Cli;
using EpdBatch.Contracts;
using EpdBatch.Imaging;
using EpdBatch.Model.Stages;
using EpdBatch.Pipeline.Storage;
using EpdBatch.Text;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace EpdBatch.Video.Tests;

/// <summary>
/// The acceptance run: an mp4 made with ffmpeg (testsrc, 5 s at 25 fps, with a strip that shows the frame number)
/// goes through ingest, encoder, prefill and decoder as separate <c>epd serve</c> processes over real RabbitMQ, Redis
/// and Azurite, in two jobs (a native manifest and an OpenAI batch manifest with a <c>video_url</c> part), on the
/// video-only onevision-tiny-video checkpoint. The frames sampled are the uniform schedule's, each item's frame count
/// is honoured (and keys the cached tokens), the results carry the single-process runtime's tokens for exactly those
/// frames, bad videos end in errors.jsonl with their reason, and no ffmpeg process, temporary file or Redis entry is
/// left.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class DistributedVideoPipelineTests
{
    private const double Seconds = 5;
    private const int Fps = 25;
    private const int MaxFrames = 16;
    private const int MaxTokens = 6;
    private const int PatternHeight = 96 + TestVideos.CounterHeight;

    [Test]
    public async Task A_video_job_over_separate_processes_samples_the_uniform_schedule_and_completes()
    {
        var clock = Stopwatch.StartNew();
        var work = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "epd-vtest-distributed-" + Guid.NewGuid().ToString("N")[..10])).FullName;
        var container = "epdvideo" + Guid.NewGuid().ToString("N")[..10];
        var vhost = await Loopback.CreateVhostAsync();
        var prefix = $"epd:test:{vhost}:";
        var storage = Options.Create(new EpdStorageOptions());
        var blobs = new AzureBlobStore(Loopback.Blob, storage, TimeProvider.System);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(Loopback.Redis);
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var tensors = new RedisTensorStore(redis, storage, TimeProvider.System);
        var clipHash = "";
        try
        {
            // The video-only checkpoint (video_preprocessor_config.json, no preprocessor_config.json) and a tokenizer
            // for text prompts, whose <video> the prompt encoder maps onto video_token_index.
            var model = TestData.CopyToTemp(TestData.OnevisionVideo, Path.Combine(work, "model"));
            TokenizerJsonWriter.WriteByteLevel(Path.Combine(model, "tokenizer.json"), ["<|im_start|>", "<|im_end|>", "<image>", "<video>"]);
            var media = Directory.CreateDirectory(Path.Combine(work, "media")).FullName;
            var videoTemp = Directory.CreateDirectory(Path.Combine(work, "video-tmp")).FullName;

            var clip = TestVideos.TestPattern(media, "testsrc.mp4", Seconds, Fps);
            var corrupt = Path.Combine(media, "corrupt.mp4");
            await File.WriteAllBytesAsync(corrupt, RandomNumberGenerator.GetBytes(4096));
            var audio = Path.Combine(media, "speech.m4a");
            TestVideos.Run(["-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac", audio]);
            var tooLong = TestVideos.Counter(media, "long.mp4", seconds: 12, fps: 5);
            var tooLarge = Path.Combine(media, "large.mp4");
            TestVideos.Run(["-f", "lavfi", "-i", "testsrc2=s=320x240:r=10:d=1", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", tooLarge]);
            string Uri(string path) => $"az://{container}/media/{Path.GetFileName(path)}";
            foreach (var path in new[] { clip, corrupt, audio, tooLong, tooLarge })
            {
                await blobs.WriteAsync(Uri(path), await File.ReadAllBytesAsync(path), "application/octet-stream", CancellationToken.None);
            }

            clipHash = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(clip)));

            // Native lines: the configured frame count, the item's own, a count over the cap, and four bad videos.
            // One manifest holds one format, so the OpenAI line is a second job on the same services.
            var native = new StringBuilder();
            JsonObject Line(string id, string prompt, string video, int? frames = null)
            {
                var line = new JsonObject { ["custom_id"] = id, ["prompt"] = prompt, ["video"] = video, ["max_tokens"] = MaxTokens };
                if (frames is not null)
                {
                    line["video_frames"] = frames;
                }

                return line;
            }

            foreach (var line in new[]
            {
                Line("clip", "What happens in this clip?", Uri(clip)),
                Line("clip-4", "Describe the video.", Uri(clip), frames: 4),
                Line("too-many-frames", "x", Uri(clip), frames: MaxFrames + 1),
                Line("corrupt", "x", Uri(corrupt)),
                Line("audio", "x", Uri(audio)),
                Line("long", "x", Uri(tooLong)),
                Line("large", "x", Uri(tooLarge)),
            })
            {
                native.AppendLine(line.ToJsonString());
            }

            var openAi = new JsonObject
            {
                ["custom_id"] = "chat",
                ["method"] = "POST",
                ["url"] = "/v1/chat/completions",
                ["body"] = new JsonObject
                {
                    ["model"] = "onevision-tiny-video",
                    ["messages"] = new JsonArray(new JsonObject
                    {
                        ["role"] = "user",
                        ["content"] = new JsonArray(
                            new JsonObject { ["type"] = "text", ["text"] = "Is there a person?" },
                            new JsonObject { ["type"] = "video_url", ["video_url"] = new JsonObject { ["url"] = Uri(clip) } }),
                    }),
                    ["max_tokens"] = MaxTokens,
                    ["mm_processor_kwargs"] = new JsonObject { ["num_frames"] = 2 },
                },
            };
            var nativeUri = $"az://{container}/native.jsonl";
            var openAiUri = $"az://{container}/openai.jsonl";
            await blobs.WriteAsync(nativeUri, Encoding.UTF8.GetBytes(native.ToString()), "application/jsonl", CancellationToken.None);
            await blobs.WriteAsync(openAiUri, Encoding.UTF8.GetBytes(openAi.ToJsonString() + "\n"), "application/jsonl", CancellationToken.None);
            var prepared = clock.Elapsed;

            var environment = new Dictionary<string, string>
            {
                ["EPD_RABBITMQ"] = Loopback.RabbitMq(vhost),
                ["EPD_REDIS"] = Loopback.Redis,
                ["EPD_BLOB"] = Loopback.Blob,
                ["EPD_MODEL"] = model,
                ["Epd__Ingest__KeyPrefix"] = prefix,
            };

            // The one frame cap: the ingest rejects a larger request with it, the encoder caps at it.
            var cap = new Dictionary<string, string> { ["Epd__Video__MaxFrames"] = MaxFrames.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            var encoder = new Dictionary<string, string>(cap)
            {
                ["Epd__Encoder__MaxBatchSize"] = "16",
                ["Epd__Video__MaxDurationSeconds"] = "10",
                ["Epd__Video__MaxWidth"] = "256",
                ["Epd__Video__TempDirectory"] = videoTemp,
            };

            JsonObject[] nativeResults, nativeErrors, openAiResults;
            string nativeJob, openAiJob;
            await using (var services = new ServiceProcesses(Path.Combine(work, "services"), environment))
            {
                // StartAsync runs synchronously up to its first wait for the ready file, so the four start together.
                await Task.WhenAll(
                    services.StartAsync("ingest", cap),
                    services.StartAsync("encoder", encoder),
                    services.StartAsync("prefill"),
                    services.StartAsync("decoder"));
                var started = clock.Elapsed;

                var runs = await Task.WhenAll(
                    EpdProcess.RunAsync(["run", nativeUri, "--out", $"az://{container}/out/"], environment, work, TimeSpan.FromMinutes(5)),
                    EpdProcess.RunAsync(["run", openAiUri, "--out", $"az://{container}/out/"], environment, work, TimeSpan.FromMinutes(5)));
                Assert.That(runs[0].ExitCode, Is.EqualTo(ExitCodes.SomeItemsFailed), runs[0].Stdout + runs[0].Stderr + services.LogTails());
                Assert.That(runs[1].ExitCode, Is.EqualTo(ExitCodes.Ok), runs[1].Stdout + runs[1].Stderr + services.LogTails());
                TestContext.Out.WriteLine($"prepared {prepared.TotalSeconds:0.0} s, services ready {started.TotalSeconds:0.0} s, jobs done {clock.Elapsed.TotalSeconds:0.0} s");

                (nativeJob, var nativeFolder) = JobFolder(runs[0].Stdout);
                (openAiJob, var openAiFolder) = JobFolder(runs[1].Stdout);
                nativeResults = await ReadLinesAsync(blobs, nativeFolder + "results.jsonl");
                nativeErrors = await ReadLinesAsync(blobs, nativeFolder + "errors.jsonl");
                openAiResults = await ReadLinesAsync(blobs, openAiFolder + "results.jsonl");

                Assert.That(Directory.GetFileSystemEntries(videoTemp), Is.Empty, "no temporary video file survives the items");
                Assert.That(ToolProcesses.Alive(work), Is.Empty, "no ffmpeg or ffprobe outlives its item");
            }

            Assert.That(ToolProcesses.Alive(work), Is.Empty, "no ffmpeg or ffprobe outlives the services");

            var failures = nativeErrors.ToDictionary(e => e["custom_id"]!.GetValue<string>(), e => (e["stage"]!.GetValue<string>(), e["error"]!["code"]!.GetValue<string>()));
            Assert.That(failures, Is.EquivalentTo(new Dictionary<string, (string, string)>
            {
                ["too-many-frames"] = ("ingest", "limit_exceeded"),
                ["corrupt"] = ("encoder", VideoErrorCodes.Corrupt),
                ["audio"] = ("encoder", VideoErrorCodes.NoVideoStream),
                ["long"] = ("encoder", VideoErrorCodes.TooLong),
                ["large"] = ("encoder", VideoErrorCodes.TooLarge),
            }));
            var tokens = nativeResults.Concat(openAiResults).ToDictionary(r => r["custom_id"]!.GetValue<string>(),
                r => r["response"]!["body"]!["choices"]![0]!["token_ids"]!.AsArray().Select(t => t!.GetValue<int>()).ToArray());
            Assert.That(tokens.Keys, Is.EquivalentTo(new[] { "clip", "clip-4", "chat" }));

            // Which frames: sampled here with the same sampler, every timestamp is t_i = (i + 0.5)·5 s/N and every frame
            // taken is the one on screen then, floor(t_i · 25), as its counter strip shows.
            using var sampler = new FfmpegFrameSampler(Options.Create(new VideoOptions { MaxFrames = MaxFrames, TempDirectory = videoTemp }));
            var preprocessor = new ImagePreprocessor(ImageProcessorConfig.FromFolder(model, video: true));
            var frames = new Dictionary<int, PixelValues[]>();
            foreach (var n in new[] { new VideoOptions().DefaultFrames, 4, 2 })
            {
                var sampled = await sampler.SampleRgbAsync(VideoInput.FromFile(clip), n, CancellationToken.None);
                var expected = TestVideos.ExpectedFrames(Seconds, Fps, n);
                Assert.That(sampled.Timestamps, Is.EqualTo(Enumerable.Range(0, n).Select(i => (i + 0.5) * Seconds / n)).Within(1e-9), $"N = {n}");
                Assert.That(sampled.FrameTimes, Is.EqualTo(expected.Select(k => (double)k / Fps)).Within(1e-9), $"N = {n}");
                Assert.That(sampled.Frames.Select(f => TestVideos.PatternFrameNumber(f, sampled.Height)), Is.EqualTo(expected), $"N = {n}");
                frames[n] = sampled.Frames.Select(f => preprocessor.Preprocess(f, sampled.Width, sampled.Height)).ToArray();
            }

            Assert.That(TestVideos.ExpectedFrames(Seconds, Fps, 8), Is.EqualTo(new[] { 7, 23, 39, 54, 70, 85, 101, 117 }), "the schedule docs/video.md gives");

            // The pipeline took exactly those frames: its cached video features (one entry per frame count) are the
            // features of the frames above, while the frames one later give features far off.
            var later = TestVideos.ExpectedFrames(Seconds, Fps, 2).Select(k => TestVideos.FfmpegFrameAt(clip, (k + 1) / (double)Fps)).ToArray();
            Assert.That(later.Select(f => TestVideos.PatternFrameNumber(f, PatternHeight)), Is.EqualTo(TestVideos.ExpectedFrames(Seconds, Fps, 2).Select(k => k + 1)));
            var reference = ReferenceRuntime.Run(model, [
                new("What happens in this clip?", frames[8], new SamplingSettings(MaxTokens), nativeJob, 0),
                new("Describe the video.", frames[4], new SamplingSettings(MaxTokens), nativeJob, 1),
                new("Is there a person?", frames[2], new SamplingSettings(MaxTokens), openAiJob, 0),
                new("Is there a person?", later.Select(f => preprocessor.Preprocess(f, TestVideos.CounterWidth, PatternHeight)).ToArray(), new SamplingSettings(1), openAiJob, 0)]);
            var cached = await CachedFeaturesAsync(server, tensors, clipHash);
            Assert.That(cached.Keys, Is.EquivalentTo(new[] { 8 * 4 + 1, 4 * 4 + 1, 2 * 4 + 1 }), "one cache entry per frame count: 33, 17 and 9 tokens");
            Assert.That(MaxDifference(cached[33], reference[0].Features), Is.LessThan(1e-4));
            Assert.That(MaxDifference(cached[17], reference[1].Features), Is.LessThan(1e-4));
            Assert.That(MaxDifference(cached[9], reference[2].Features), Is.LessThan(1e-4));
            Assert.That(MaxDifference(cached[9], reference[3].Features), Is.GreaterThan(1e-2), "frames one off would be seen");

            Assert.That(tokens["clip"], Is.EqualTo(reference[0].Tokens));
            Assert.That(tokens["clip-4"], Is.EqualTo(reference[1].Tokens));
            Assert.That(tokens["chat"], Is.EqualTo(reference[2].Tokens));

            foreach (var job in new[] { nativeJob, openAiJob })
            {
                Assert.That(server.Keys(pattern: $"mm:{job}:*").Count(), Is.Zero, "token entries left in Redis");
                Assert.That(server.Keys(pattern: $"kv:{job}:*").Count(), Is.Zero, "KV entries left in Redis");
            }

            TestContext.Out.WriteLine($"checked {clock.Elapsed.TotalSeconds:0.0} s");
        }
        finally
        {
            if (clipHash.Length > 0)
            {
                foreach (var key in server.Keys(pattern: $"mmc:{clipHash}-*"))
                {
                    await redis.GetDatabase().KeyDeleteAsync(key);
                }
            }

            foreach (var key in server.Keys(pattern: prefix + "*"))
            {
                await redis.GetDatabase().KeyDeleteAsync(key);
            }

            await Loopback.DeleteVhostAsync(vhost);
            await new BlobServiceClient(Loopback.Blob).GetBlobContainerClient(container).DeleteIfExistsAsync();
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>The video entries of the encoder's token cache for these bytes, by token count, as float32.</summary>
    private static async Task<Dictionary<int, float[]>> CachedFeaturesAsync(IServer server, RedisTensorStore tensors, string contentHash)
    {
        var entries = new Dictionary<int, float[]>();
        foreach (var key in server.Keys(pattern: $"mmc:{contentHash}-video-*").Select(k => k.ToString()))
        {
            var bytes = await tensors.GetAsync(key, CancellationToken.None);
            Assert.That(bytes, Is.Not.Null, key);
            var embedding = MultimodalEmbedding.FromBytes(bytes!);
            Assert.That(entries.TryAdd(embedding.Tokens, embedding.ToFloatArray()), Is.True, $"two entries of {embedding.Tokens} tokens");
        }

        return entries;
    }

    private static double MaxDifference(float[] a, float[] b)
    {
        Assert.That(a, Has.Length.EqualTo(b.Length));
        return a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();
    }

    private static (string JobId, string Folder) JobFolder(string stdout)
    {
        var folder = stdout.Split('\n').Single(l => l.StartsWith("results", StringComparison.Ordinal))["results".Length..].Trim();
        folder = folder.EndsWith('/') ? folder : folder + "/";
        return (folder.TrimEnd('/').Split('/')[^1], folder);
    }

    private static async Task<JsonObject[]> ReadLinesAsync(AzureBlobStore blobs, string uri)
    {
        var text = Encoding.UTF8.GetString(await blobs.ReadAsync(uri, CancellationToken.None));
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => (JsonObject)JsonNode.Parse(l)!).ToArray();
    }

}
