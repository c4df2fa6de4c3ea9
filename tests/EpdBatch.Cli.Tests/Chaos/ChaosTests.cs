using System.Diagnostics;
using System.Runtime.Versioning;
using System.Text;
using System.Text.Json.Nodes;
using EpdBatch.Cli.Tests.PrivateServers;
using EpdBatch.Ingest;
using EpdBatch.Ingest.Jobs;
using EpdBatch.Model.Loading;
using EpdBatch.Pipeline.Reliability;
using EpdBatch.Pipeline.Storage;
using Microsoft.Extensions.Options;
using SkiaSharp;
using StackExchange.Redis;

namespace EpdBatch.Cli.Tests.Chaos;

/// <summary>
/// The acceptance test of the reliability work: a 200-item job through two processes per stage (plus the ingest)
/// over a private RabbitMQ node, a private Redis with an append-only file and the shared Azurite, while the test
/// SIGKILLs and restarts one encoder, one prefill, one decoder and the ingest, restarts RabbitMQ and kills and
/// restarts Redis, and drops every intermediate (multimodal tokens, KV snapshots, the media cache) once, as an
/// eviction would. Every item must end exactly once, with the tokens of an undisturbed single-process run.
/// </summary>
/// <remarks>
/// The decoders start for the first time only after the broker restart and the key drop, so those two always meet
/// items in flight (nothing can complete before), and the drop always finds KV snapshots waiting in the decode
/// queue. That queue is declared by prefill's first send, not by a decoder: the broker restart also shows that
/// messages waiting in a queue no worker ever consumed from survive it.
/// </remarks>
[TestFixture]
[NonParallelizable]
[Category("Chaos")]
[UnsupportedOSPlatform("windows")]
public sealed class ChaosTests
{
    private const int Items = 200;
    private const int Images = 20;
    private static readonly TimeSpan s_stepTimeout = TimeSpan.FromMinutes(3);
    private static readonly string[] s_prompts = ["Describe the image.", "What is in this picture?"];

    [Test]
    public async Task Killed_workers_restarted_servers_and_lost_intermediates_leave_every_item_once_with_the_undisturbed_tokens()
    {
        var clock = Stopwatch.StartNew();
        var work = Path.Combine(Path.GetTempPath(), "epd-chaos-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        var model = Path.Combine(work, "model");
        var blobs = new AzureBlobStore(Loopback.Blob, Options.Create(new EpdStorageOptions()), TimeProvider.System);
        var container = "epdchaos" + Guid.NewGuid().ToString("N")[..10];
        var log = new StringBuilder();
        void Note(string what)
        {
            var line = $"[{clock.Elapsed.TotalSeconds,6:0.0}s] {what}";
            log.AppendLine(line);
            TestContext.Progress.WriteLine(line);
        }

        try
        {
            await using var redis = new PrivateRedis(Path.Combine(work, "redis"));
            await using var rabbit = new PrivateRabbitMq(Path.Combine(work, "rabbitmq"));
            var brokerUp = rabbit.StartAsync();
            await redis.StartAsync();
            DemoModelWriter.Write(model, seed: 91);
            var (items, manifestUri) = await WriteJobAsync(blobs, container);
            await brokerUp;
            Note($"private redis on :{redis.Port}, private rabbitmq {rabbit.Node} on :{rabbit.Port}, model and {Items} items written");

            var environment = new Dictionary<string, string>
            {
                ["EPD_RABBITMQ"] = rabbit.Uri,
                ["EPD_REDIS"] = redis.Configuration,
                ["EPD_BLOB"] = Loopback.Blob,
                ["EPD_MODEL"] = model,
                // A restarted ingest takes the job over once the dead one's lease runs out.
                ["Epd__Ingest__LeaseDuration"] = "00:00:04",
            };
            await using var fleet = new ServiceFleet(Path.Combine(work, "services"), environment);
            await Task.WhenAll(new[] { "ingest-0", "encoder-0", "encoder-1", "prefill-0", "prefill-1" }.Select(name => fleet.StartAsync(name)));
            Note("ingest, 2 encoders, 2 prefills ready; no decoder yet");

            using var watch = await ConnectionMultiplexer.ConnectAsync(redis.Configuration + ",abortConnect=false,connectTimeout=2000,syncTimeout=2000");
            var store = new RedisJobStore(watch, Options.Create(new IngestOptions()));
            var submit = await EpdProcess.RunAsync(["submit", manifestUri, "--out", $"az://{container}/out/"], environment, timeout: TimeSpan.FromMinutes(2));
            Assert.That(submit.ExitCode, Is.Zero, submit.Stdout + submit.Stderr);
            var jobId = (await store.ListAsync(1, CancellationToken.None)).Single().Id;
            Note($"job {jobId} submitted");

            async Task<JobRecord?> JobAsync()
            {
                try
                {
                    return await store.GetAsync(jobId, CancellationToken.None);
                }
                catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException)
                {
                    return null;
                }
            }

            async Task<long> ProgressAsync(string stage)
            {
                try
                {
                    return (long)await watch.GetDatabase().HashGetAsync("progress:" + jobId, stage);
                }
                catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException)
                {
                    return -1;
                }
            }

            async Task UntilAsync(string what, Func<Task<bool>> condition)
            {
                var deadline = DateTime.UtcNow + s_stepTimeout;
                while (!await condition())
                {
                    if (DateTime.UtcNow > deadline)
                    {
                        Assert.Fail($"timed out waiting for {what}\n{log}\n{fleet.Tails(25)}");
                    }
                    await Task.Delay(250);
                }
            }

            async Task<int> InFlightAsync()
            {
                var job = await JobAsync();
                return job is null ? -1 : job.Items - job.Terminal;
            }

            var restarts = new List<Task>();

            await UntilAsync("25 items encoded", async () => await ProgressAsync("encoder") >= 25);
            restarts.Add(fleet.KillAndRestartAsync("encoder-0"));
            Note($"SIGKILL encoder-0 (restarting), {await InFlightAsync()} items in flight");

            await UntilAsync("25 items prefilled", async () => await ProgressAsync("prefill") >= 25);
            restarts.Add(fleet.KillAndRestartAsync("prefill-0"));
            Note($"SIGKILL prefill-0 (restarting), {await InFlightAsync()} items in flight");

            await rabbit.StopAsync();
            Note("rabbitmq stopped");
            await rabbit.StartAsync();
            Note($"rabbitmq started again, {await InFlightAsync()} items in flight");

            await UntilAsync("60 items prefilled", async () => await ProgressAsync("prefill") >= 60);
            var dropped = await DropIntermediatesAsync(watch, jobId);
            Note($"dropped {dropped} intermediate keys (tokens, KV snapshots, media cache), {await InFlightAsync()} items in flight");

            await Task.WhenAll(fleet.StartAsync("decoder-0"), fleet.StartAsync("decoder-1"));
            Note("2 decoders ready");

            await UntilAsync("10 items completed", async () => (await JobAsync())?.Completed >= 10);
            Assert.That(await InFlightAsync(), Is.GreaterThan(0), "the job must still run when the decoder, Redis and the ingest go down");
            restarts.Add(fleet.KillAndRestartAsync("decoder-0"));
            Note($"SIGKILL decoder-0 (restarting), {await InFlightAsync()} items in flight");
            var before = await InFlightAsync();
            await redis.KillAsync();
            await redis.StartAsync();
            Note($"redis SIGKILLed and started again ({before} items were in flight)");
            restarts.Add(fleet.KillAndRestartAsync("ingest-0"));
            Note($"SIGKILL ingest-0 (restarting), {await InFlightAsync()} items in flight");

            await Task.WhenAll(restarts);
            Note("every killed process is back");
            await UntilAsync("the job to finish", async () => await JobAsync() is { } job && JobStateMachine.IsTerminal(job.State));
            var finished = (await JobAsync())!;
            Note($"job {JobStateMachine.Name(finished.State)}: {finished.Completed} completed, {finished.Failed} failed");

            var counters = await watch.GetDatabase().HashGetAllAsync("reliability:" + jobId);
            var counts = counters.ToDictionary(e => e.Name.ToString(), e => (long)e.Value);
            var server = watch.GetServer(watch.GetEndPoints()[0]);
            var leftovers = server.Keys(pattern: $"mm:{jobId}:*").Count() + server.Keys(pattern: $"kv:{jobId}:*").Count();
            var results = await ReadLinesAsync(blobs, finished.OutputFolder + "results.jsonl");
            var errors = await ReadLinesAsync(blobs, finished.OutputFolder + "errors.jsonl");
            var logs = fleet.Logs.Select(File.ReadAllText).ToList();
            await fleet.DisposeAsync();

            TestContext.Out.WriteLine(log);
            TestContext.Out.WriteLine($"chaos: {ReliabilityCounters.Total(counts, "redeliveries")} redeliveries, {ReliabilityCounters.Total(counts, "recoveries")} recoveries, " +
                $"{ReliabilityCounters.Total(counts, "crash_loops")} crash loops ({string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key}={c.Value}"))}); " +
                $"log lines: {logs.Sum(l => Count(l, "delivered again"))} redelivered, {logs.Sum(l => Count(l, "sent back to the encoder"))} sent back; " +
                $"{leftovers} token/KV keys left; job took {((finished.StateTimes.TryGetValue(finished.State, out var end) ? end : DateTimeOffset.UtcNow) - finished.CreatedAt).TotalSeconds:0}s, test {clock.Elapsed.TotalSeconds:0}s so far");

            Assert.That(finished.State, Is.EqualTo(JobState.Completed), finished.ErrorMessage);
            var ids = results.Concat(errors).Select(l => l["custom_id"]!.GetValue<string>()).ToList();
            Assert.That(ids, Is.Unique, "no custom_id twice across results.jsonl and errors.jsonl");
            Assert.That(ids, Has.Count.EqualTo(Items), "every item exactly once");
            Assert.That(errors.Select(e => e.ToJsonString()), Is.Empty, "no item failed");
            Assert.That(ReliabilityCounters.Total(counts, "recoveries"), Is.GreaterThan(0), "the dropped KV snapshots were recovered");
            Assert.That(ReliabilityCounters.Total(counts, "redeliveries"), Is.GreaterThan(0), "the killed workers' items were delivered again");
            Assert.That(leftovers, Is.Zero, "token and KV entries left in Redis");

            var expected = Reference(model, jobId, items);
            foreach (var line in results)
            {
                var index = int.Parse(line["custom_id"]!.GetValue<string>()["item-".Length..]);
                var tokens = line["response"]!["body"]!["choices"]![0]!["token_ids"]!.AsArray().Select(t => t!.GetValue<int>()).ToArray();
                Assert.That(tokens, Is.EqualTo(expected[index]), $"item {index}");
            }
            TestContext.Out.WriteLine($"chaos: test took {clock.Elapsed.TotalSeconds:0}s");
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    private static async Task<(List<(string Prompt, byte[] Image, int MaxTokens)> Items, string ManifestUri)> WriteJobAsync(AzureBlobStore blobs, string container)
    {
        var images = new List<byte[]>();
        for (var i = 0; i < Images; i++)
        {
            var format = i % 4 == 0 ? SKEncodedImageFormat.Jpeg : SKEncodedImageFormat.Png;
            images.Add(DistributedPipelineTests.Draw(i, format));
            await blobs.WriteAsync($"az://{container}/media/img{i:D2}", images[i], "application/octet-stream", CancellationToken.None);
        }
        var items = new List<(string Prompt, byte[] Image, int MaxTokens)>();
        var manifest = new StringBuilder();
        for (var i = 0; i < Items; i++)
        {
            // Every 40th item is the same request (the encoder's media cache serves the copies), which keeps the
            // single-process reference to 40 runs.
            var (image, prompt, maxTokens) = (i % Images, s_prompts[i / Images % 2], 4 + i % Images % 5);
            items.Add((prompt, images[image], maxTokens));
            manifest.AppendLine(new JsonObject
            {
                ["custom_id"] = $"item-{i:D3}",
                ["prompt"] = prompt,
                ["images"] = new JsonArray($"az://{container}/media/img{image:D2}"),
                ["max_tokens"] = maxTokens,
            }.ToJsonString());
        }
        var uri = $"az://{container}/manifest.jsonl";
        await blobs.WriteAsync(uri, Encoding.UTF8.GetBytes(manifest.ToString()), "application/jsonl", CancellationToken.None);
        return (items, uri);
    }

    /// <summary>What an eviction or a Redis without persistence would do: every token entry, KV snapshot and cached encoding of the job is gone.</summary>
    private static async Task<int> DropIntermediatesAsync(ConnectionMultiplexer redis, string jobId)
    {
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var keys = new[] { $"mm:{jobId}:*", $"kv:{jobId}:*", "mmc:*" }.SelectMany(p => server.Keys(pattern: p)).ToArray();
        foreach (var chunk in keys.Chunk(256))
        {
            await redis.GetDatabase().KeyDeleteAsync(chunk);
        }
        return keys.Length;
    }

    /// <summary>The single-process greedy tokens of each item, computed once per distinct request.</summary>
    private static int[][] Reference(string model, string jobId, List<(string Prompt, byte[] Image, int MaxTokens)> items)
    {
        var distinct = items.Select(i => (i.Prompt, i.Image, i.MaxTokens)).Distinct().ToList();
        var tokens = ReferenceRuntime.Greedy(model, jobId, distinct);
        return items.Select(i => tokens[distinct.IndexOf(i)]).ToArray();
    }

    private static async Task<List<JsonObject>> ReadLinesAsync(AzureBlobStore blobs, string uri)
    {
        var text = Encoding.UTF8.GetString(await blobs.ReadAsync(uri, CancellationToken.None));
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => (JsonObject)JsonNode.Parse(l)!).ToList();
    }

    private static int Count(string text, string what)
    {
        var count = 0;
        for (var at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }
}
