using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EpdBatch.Model.Loading;
using EpdBatch.Pipeline.Messaging;
using EpdBatch.Pipeline.Storage;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using SkiaSharp;
using StackExchange.Redis;

namespace EpdBatch.Cli.Tests;

/// <summary>
/// The four stages as separate OS processes over real RabbitMQ, Redis and Azurite on loopback: a 40-image job (plus
/// a missing blob, a corrupt image and an unsupported file) gives, per item, exactly the single-process runtime's
/// greedy tokens — whatever the replica counts and consumer limits — and leaves nothing behind.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class DistributedPipelineTests
{
    private const int Images = 40;
    private string _work = null!;
    private string _model = null!;
    private AzureBlobStore _blobs = null!;
    private string _container = null!;
    private List<(string Prompt, byte[] Image, int MaxTokens)> _items = null!;
    private string _manifestUri = null!;

    [OneTimeSetUp]
    public async Task Prepare()
    {
        _work = Path.Combine(Path.GetTempPath(), "epd-distributed-" + Guid.NewGuid().ToString("N")[..8]);
        _model = Path.Combine(_work, "model");
        DemoModelWriter.Write(_model, seed: 77);
        _blobs = new AzureBlobStore(Loopback.Blob, Options.Create(new EpdStorageOptions()), TimeProvider.System);
        _container = "epdtest" + Guid.NewGuid().ToString("N")[..10];
        _items = [];
        var manifest = new StringBuilder();
        for (var i = 0; i < Images; i++)
        {
            var image = Draw(i, i % 5 == 0 ? SKEncodedImageFormat.Jpeg : SKEncodedImageFormat.Png);
            var uri = $"az://{_container}/media/img{i:D2}.{(i % 5 == 0 ? "jpg" : "png")}";
            await _blobs.WriteAsync(uri, image, "application/octet-stream", CancellationToken.None);
            var prompt = i % 3 == 0 ? "Describe the image." : i % 3 == 1 ? "What is in this picture?" : "Caption it.";
            var maxTokens = 4 + i % 7;
            _items.Add((prompt, image, maxTokens));
            manifest.AppendLine(new JsonObject { ["custom_id"] = $"item-{i:D2}", ["prompt"] = prompt, ["images"] = new JsonArray(uri), ["max_tokens"] = maxTokens }.ToJsonString());
        }
        await _blobs.WriteAsync($"az://{_container}/media/notes.jpg", Encoding.UTF8.GetBytes("not an image at all"), "text/plain", CancellationToken.None);
        await _blobs.WriteAsync($"az://{_container}/media/cut.png", Draw(99, SKEncodedImageFormat.Png).AsMemory(0, 200), "image/png", CancellationToken.None);
        manifest.AppendLine($$"""{"custom_id": "missing", "prompt": "x", "images": ["az://{{_container}}/media/nope.png"], "max_tokens": 4}""");
        manifest.AppendLine($$"""{"custom_id": "text-as-jpg", "prompt": "x", "images": ["az://{{_container}}/media/notes.jpg"], "max_tokens": 4}""");
        manifest.AppendLine($$"""{"custom_id": "truncated", "prompt": "x", "images": ["az://{{_container}}/media/cut.png"], "max_tokens": 4}""");
        _manifestUri = $"az://{_container}/manifest.jsonl";
        await _blobs.WriteAsync(_manifestUri, Encoding.UTF8.GetBytes(manifest.ToString()), "application/jsonl", CancellationToken.None);
    }

    [OneTimeTearDown]
    public void Cleanup()
    {
        if (Directory.Exists(_work))
        {
            Directory.Delete(_work, recursive: true);
        }
    }

    [TestCase(1, 1, 1, 8, 4, 16)]
    [TestCase(2, 1, 2, 3, 2, 5)]
    public async Task A_job_over_separate_processes_gives_the_single_process_tokens(int encoders, int prefills, int decoders, int encoderLimit, int prefillLimit, int decoderLimit)
    {
        var vhost = await Loopback.CreateVhostAsync();
        var prefix = $"epd:test:{vhost}:";
        var environment = new Dictionary<string, string>
        {
            ["EPD_RABBITMQ"] = Loopback.RabbitMq(vhost),
            ["EPD_REDIS"] = Loopback.Redis,
            ["EPD_BLOB"] = Loopback.Blob,
            ["EPD_MODEL"] = _model,
            ["Epd__Ingest__KeyPrefix"] = prefix,
        };
        try
        {
            await using var services = new ServiceProcesses(Path.Combine(_work, vhost), environment);
            var tap = await MessageTap.StartAsync(Loopback.RabbitMq(vhost));
            await services.StartAsync("ingest");
            for (var i = 0; i < encoders; i++)
            {
                await services.StartAsync("encoder", new Dictionary<string, string> { ["Epd__Encoder__ConcurrentMessageLimit"] = encoderLimit.ToString(), ["Epd__Encoder__MaxBatchSize"] = "4" });
            }
            for (var i = 0; i < prefills; i++)
            {
                await services.StartAsync("prefill", new Dictionary<string, string> { ["Epd__Prefill__ConcurrentMessageLimit"] = prefillLimit.ToString() });
            }
            for (var i = 0; i < decoders; i++)
            {
                await services.StartAsync("decoder", new Dictionary<string, string> { ["Epd__Decoder__ConcurrentMessageLimit"] = decoderLimit.ToString(), ["Epd__Decoder__MaxBatchSize"] = decoderLimit.ToString() });
            }
            await tap.BindAsync();

            var outputPrefix = $"az://{_container}/out-{vhost}/";
            var run = await EpdProcess.RunAsync(["run", _manifestUri, "--out", outputPrefix], environment, timeout: TimeSpan.FromMinutes(5));
            Assert.That(run.ExitCode, Is.EqualTo(ExitCodes.SomeItemsFailed), run.Stdout + run.Stderr + services.LogTails());

            var jobFolder = run.Stdout.Split('\n').Single(l => l.StartsWith("results", StringComparison.Ordinal))["results".Length..].Trim();
            var results = await ReadLinesAsync(JobRunnerJoin(jobFolder, "results.jsonl"));
            var errors = await ReadLinesAsync(JobRunnerJoin(jobFolder, "errors.jsonl"));
            var jobId = jobFolder.TrimEnd('/').Split('/')[^1];

            Assert.That(results, Has.Count.EqualTo(Images), "one result line per good item");
            Assert.That(results.Select(r => r["custom_id"]!.GetValue<string>()).Distinct().Count(), Is.EqualTo(Images));
            var expected = ReferenceRuntime.Greedy(_model, jobId, _items);
            foreach (var line in results)
            {
                var index = int.Parse(line["custom_id"]!.GetValue<string>()["item-".Length..]);
                var tokens = line["response"]!["body"]!["choices"]![0]!["token_ids"]!.AsArray().Select(t => t!.GetValue<int>()).ToArray();
                Assert.That(tokens, Is.EqualTo(expected[index]), $"item {index}");
            }
            var failures = errors.ToDictionary(e => e["custom_id"]!.GetValue<string>(), e => (Stage: e["stage"]!.GetValue<string>(), Code: e["error"]!["code"]!.GetValue<string>()));
            Assert.That(failures, Has.Count.EqualTo(3));
            Assert.That(failures["missing"], Is.EqualTo(("encoder", "blob_not_found")));
            Assert.That(failures["text-as-jpg"], Is.EqualTo(("encoder", "unsupported_media_type")));
            Assert.That(failures["truncated"], Is.EqualTo(("encoder", "corrupt_image")));

            await using var redis = await ConnectionMultiplexer.ConnectAsync(Loopback.Redis);
            var server = redis.GetServer(redis.GetEndPoints()[0]);
            Assert.That(server.Keys(pattern: $"mm:{jobId}:*").Count(), Is.Zero, "token entries left in Redis");
            Assert.That(server.Keys(pattern: $"kv:{jobId}:*").Count(), Is.Zero, "KV entries left in Redis");

            var (count, largest) = await tap.MeasureAsync();
            TestContext.Out.WriteLine($"{encoders}E/{prefills}P/{decoders}D: {count} messages, largest body {largest} bytes");
            Assert.That(count, Is.GreaterThanOrEqualTo(Images * 3), "the tap saw the pipeline's messages");
            Assert.That(largest, Is.LessThanOrEqualTo(16 * 1024), "largest message body");
            await tap.DisposeAsync();
            foreach (var key in server.Keys(pattern: prefix + "*"))
            {
                await redis.GetDatabase().KeyDeleteAsync(key);
            }
        }
        finally
        {
            await Loopback.DeleteVhostAsync(vhost);
        }
    }


    private static string JobRunnerJoin(string folder, string name) => folder.EndsWith('/') ? folder + name : folder + "/" + name;

    private async Task<List<JsonObject>> ReadLinesAsync(string uri)
    {
        var text = Encoding.UTF8.GetString(await _blobs.ReadAsync(uri, CancellationToken.None));
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => (JsonObject)JsonNode.Parse(l)!).ToList();
    }

    internal static byte[] Draw(int index, SKEncodedImageFormat format)
    {
        using var bitmap = new SKBitmap(64 + index % 4 * 16, 48 + index % 3 * 24);
        var random = new Random(index);
        for (var y = 0; y < bitmap.Height; y++)
        {
            for (var x = 0; x < bitmap.Width; x++)
            {
                bitmap.SetPixel(x, y, new SKColor((byte)random.Next(256), (byte)(x * 4), (byte)(y * 4)));
            }
        }
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 90);
        return data.ToArray();
    }

    /// <summary>
    /// A queue of the test's own that gets a copy of every pipeline message, to measure the bodies that crossed the
    /// broker: bound to the exchange of each stage's queue (the commands are sent there) and to the exchanges of the
    /// published events.
    /// </summary>
    private sealed class MessageTap : IAsyncDisposable
    {
        private static readonly string[] s_exchanges =
            [PipelineQueues.Encode, PipelineQueues.Prefill, PipelineQueues.Decode, "EpdBatch.Contracts:ItemCompleted", "EpdBatch.Contracts:ItemFailed"];
        private readonly IConnection _connection;
        private readonly IChannel _channel;
        private readonly string _queue = "tap-" + Guid.NewGuid().ToString("N")[..8];

        private MessageTap(IConnection connection, IChannel channel)
        {
            _connection = connection;
            _channel = channel;
        }

        public static async Task<MessageTap> StartAsync(string uri)
        {
            var connection = await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync();
            var channel = await connection.CreateChannelAsync();
            return new MessageTap(connection, channel);
        }

        public async Task BindAsync()
        {
            await _channel.QueueDeclareAsync(_queue, durable: false, exclusive: true, autoDelete: true);
            foreach (var exchange in s_exchanges)
            {
                await _channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true);
                await _channel.QueueBindAsync(_queue, exchange, "");
            }
        }

        public async Task<(int Count, int Largest)> MeasureAsync()
        {
            var (count, largest) = (0, 0);
            while (await _channel.BasicGetAsync(_queue, autoAck: true) is { } message)
            {
                count++;
                largest = Math.Max(largest, message.Body.Length);
            }
            return (count, largest);
        }

        public async ValueTask DisposeAsync()
        {
            await _channel.CloseAsync();
            await _connection.CloseAsync();
            _channel.Dispose();
            _connection.Dispose();
        }
    }
}
