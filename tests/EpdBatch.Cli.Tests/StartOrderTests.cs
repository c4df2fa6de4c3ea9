using System.Text;
using System.Text.Json.Nodes;
using EpdBatch.Ingest.Client;
using EpdBatch.Ingest.Jobs;
using EpdBatch.Model.Loading;
using EpdBatch.Pipeline;
using EpdBatch.Pipeline.Messaging;
using RabbitMQ.Client;
using StackExchange.Redis;

namespace EpdBatch.Cli.Tests;

/// <summary>
/// A fresh deployment (a new RabbitMQ vhost: no queue exists) whose ingest starts before any stage ever ran. Each
/// stage is started only once the whole job waits for it, so every hop — ingest to encoder, encoder to prefill,
/// prefill to decoder — sends its items to a queue that no worker of the next stage has declared yet. Nothing may be
/// lost: the items wait in the queue the send declared, and each stage, when it starts, declares the same queue
/// (the same arguments, or RabbitMQ would refuse it with PRECONDITION_FAILED and the stage would not start).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class StartOrderTests
{
    private const int Items = 6;

    [Test]
    public async Task A_job_submitted_before_any_stage_ever_started_completes_when_the_stages_start_one_by_one()
    {
        var work = Path.Combine(Path.GetTempPath(), "epd-start-order-" + Guid.NewGuid().ToString("N")[..8]);
        var model = Path.Combine(work, "model");
        DemoModelWriter.Write(model, seed: 23);
        var vhost = await Loopback.CreateVhostAsync();
        var prefix = $"epd:test:{vhost}:";
        var container = "epdorder" + Guid.NewGuid().ToString("N")[..10];
        var environment = new Dictionary<string, string>
        {
            ["EPD_RABBITMQ"] = Loopback.RabbitMq(vhost),
            ["EPD_REDIS"] = Loopback.Redis,
            ["EPD_BLOB"] = Loopback.Blob,
            ["EPD_MODEL"] = model,
            ["Epd__Ingest__KeyPrefix"] = prefix,
            ["Epd__Ingest__PollInterval"] = "00:00:00.250",
        };
        try
        {
            await using var client = await IngestClientHost.StartAsync(environment);
            var ids = await UploadJobAsync(client, container);
            await using var services = new ServiceProcesses(Path.Combine(work, "services"), environment);
            await using var broker = await new ConnectionFactory { Uri = new Uri(Loopback.RabbitMq(vhost)) }.CreateConnectionAsync();

            await services.StartAsync("ingest");
            var submitted = await client.Jobs.SubmitAsync(new JobSubmission($"az://{container}/manifest.jsonl", $"az://{container}/out"), CancellationToken.None);
            var jobId = submitted.JobId;
            await client.WaitUntilAsync(jobId, j => j.Published == Items, TimeSpan.FromSeconds(60), "sent to the encoders");
            Assert.That(await WaitingAsync(broker, PipelineQueues.Encode), Is.EqualTo(Items), "the encode commands wait in the encoders' queue");

            await services.StartAsync("encoder");
            await UntilStageAsync(client, jobId, PipelineStages.Encoder);
            Assert.That(await WaitingAsync(broker, PipelineQueues.Prefill), Is.EqualTo(Items), "the prefill commands wait in the prefill queue");

            await services.StartAsync("prefill");
            await UntilStageAsync(client, jobId, PipelineStages.Prefill);
            Assert.That(await WaitingAsync(broker, PipelineQueues.Decode), Is.EqualTo(Items), "the decode commands wait in the decode queue");

            await services.StartAsync("decoder");
            var job = await client.WaitUntilAsync(jobId, j => j.IsFinished, TimeSpan.FromSeconds(90), "finished");

            Assert.That(job.State, Is.EqualTo(JobState.Completed));
            Assert.That((job.Completed, job.Failed), Is.EqualTo((Items, 0)));
            var results = Encoding.UTF8.GetString(await client.Blobs.ReadAsync(job.OutputUri + "results.jsonl", CancellationToken.None))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => (string)JsonNode.Parse(l)!["custom_id"]!)
                .ToList();
            Assert.That(results, Is.EquivalentTo(ids), "every item once in results.jsonl");
            foreach (var (name, process) in services.Processes)
            {
                Assert.That(process.HasExited, Is.False, $"{name} is still running");
            }
        }
        finally
        {
            await Loopback.DeleteVhostAsync(vhost);
            await using (var redis = await ConnectionMultiplexer.ConnectAsync(Loopback.Redis))
            {
                var server = redis.GetServer(redis.GetEndPoints()[0]);
                foreach (var key in server.Keys(pattern: prefix + "*"))
                {
                    await redis.GetDatabase().KeyDeleteAsync(key);
                }
            }

            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Messages ready in <paramref name="queue"/>; a queue that does not exist fails the test (RabbitMQ answers 404).</summary>
    private static async Task<uint> WaitingAsync(IConnection broker, string queue)
    {
        await using var channel = await broker.CreateChannelAsync();
        return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
    }

    private static async Task UntilStageAsync(IngestClientHost client, string jobId, string stage)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((await client.Progress.GetAsync(jobId, CancellationToken.None)).GetValueOrDefault(stage) < Items)
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"the {stage} did not take every item within 60 s");
            }

            await Task.Delay(100);
        }
    }

    private static async Task<List<string>> UploadJobAsync(IngestClientHost client, string container)
    {
        var ids = new List<string>();
        var manifest = new StringBuilder();
        for (var i = 0; i < Items; i++)
        {
            await client.Blobs.WriteAsync($"az://{container}/media/img{i}.png", TestPictures.Png(i), "image/png", CancellationToken.None);
            var id = $"item-{i}";
            ids.Add(id);
            manifest.AppendLine(new JsonObject
            {
                ["custom_id"] = id,
                ["prompt"] = "Describe the image.",
                ["images"] = new JsonArray($"az://{container}/media/img{i}.png"),
                ["max_tokens"] = 4,
            }.ToJsonString());
        }

        await client.Blobs.WriteAsync($"az://{container}/manifest.jsonl", Encoding.UTF8.GetBytes(manifest.ToString()), "application/x-ndjson", CancellationToken.None);
        return ids;
    }
}
