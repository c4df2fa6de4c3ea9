using EpdBatch.Contracts;
using EpdBatch.Pipeline;
using EpdBatch.Pipeline.Messaging;
using EpdBatch.Pipeline.Reliability;
using EpdBatch.Pipeline.Storage;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace EpdBatch.Stages.Tests;

/// <summary>
/// The shared delivery policy with its counts in the real Redis (127.0.0.1:6379, keys of a job of the test's own):
/// an item that was delivered <c>MaxDeliveries</c> times without finishing (each time its worker died: the count
/// was taken and never cleared) fails with <c>crash_loop</c> at the next delivery without running; retries of a
/// transient failure are one delivery; a finished item leaves no count behind.
/// </summary>
[TestFixture]
public sealed class ItemConsumptionTests
{
    private const string Redis = "127.0.0.1:6379";
    private ConnectionMultiplexer _redis = null!;
    private string _jobId = null!;

    [OneTimeSetUp]
    public async Task Connect() => _redis = await ConnectionMultiplexer.ConnectAsync(Redis);

    [OneTimeTearDown]
    public void Disconnect() => _redis.Dispose();

    [SetUp]
    public void NewJob() => _jobId = "consumption-" + Guid.NewGuid().ToString("N")[..10];

    [TearDown]
    public async Task DropKeys()
    {
        var server = _redis.GetServer(_redis.GetEndPoints()[0]);
        foreach (var key in server.Keys(pattern: $"*{_jobId}*"))
        {
            await _redis.GetDatabase().KeyDeleteAsync(key);
        }
    }

    [Test]
    public async Task An_item_delivered_MaxDeliveries_times_without_finishing_fails_with_crash_loop_without_running()
    {
        var ledger = new RedisDeliveryLedger(_redis);
        for (var i = 0; i < 3; i++)
        {
            // What three deliveries whose worker died mid-item left behind.
            await ledger.CountDeliveryAsync(PipelineStages.Encoder, _jobId, 7, TimeSpan.FromMinutes(5), CancellationToken.None);
        }

        var (work, failed, counters) = await DeliverAsync(new ProbeWork(), maxDeliveries: 3);

        Assert.That(work.Runs, Is.Zero, "the item's work did not run a fourth time");
        Assert.That(failed, Is.Not.Null);
        Assert.That((failed!.Stage, failed.Code), Is.EqualTo((PipelineStages.Encoder, StageFailure.CrashLoop)));
        Assert.That(failed.Message, Does.Contain("3 times").And.Contain("MaxDeliveries = 3"));
        Assert.That(counters[ReliabilityCounters.CrashLoops(PipelineStages.Encoder)], Is.EqualTo(1));
        Assert.That(counters[ReliabilityCounters.Redeliveries(PipelineStages.Encoder)], Is.EqualTo(3), "deliveries 2, 3 and 4");
        Assert.That(await _redis.GetDatabase().KeyExistsAsync($"deliveries:encoder:{_jobId}:7"), Is.False, "the count is cleared with the item");
    }

    [Test]
    public async Task An_item_under_the_bound_runs_and_its_count_is_cleared()
    {
        var ledger = new RedisDeliveryLedger(_redis);
        await ledger.CountDeliveryAsync(PipelineStages.Encoder, _jobId, 7, TimeSpan.FromMinutes(5), CancellationToken.None);
        await ledger.CountDeliveryAsync(PipelineStages.Encoder, _jobId, 7, TimeSpan.FromMinutes(5), CancellationToken.None);

        var (work, failed, counters) = await DeliverAsync(new ProbeWork(), maxDeliveries: 3);

        Assert.That(work.Runs, Is.EqualTo(1));
        Assert.That(failed, Is.Null);
        Assert.That(counters[ReliabilityCounters.Redeliveries(PipelineStages.Encoder)], Is.EqualTo(2));
        Assert.That(await _redis.GetDatabase().KeyExistsAsync($"deliveries:encoder:{_jobId}:7"), Is.False);
    }

    [Test]
    public async Task Retries_of_a_transient_failure_are_one_delivery()
    {
        var (work, failed, counters) = await DeliverAsync(new ProbeWork { TransientFailures = 3 }, maxDeliveries: 1);

        Assert.That(work.Runs, Is.EqualTo(4), "three transient failures, then success, within one delivery");
        Assert.That(failed, Is.Null, "no crash_loop although MaxDeliveries is 1");
        Assert.That(counters, Is.Empty, "no redelivery counted");
    }

    [Test]
    public async Task A_failure_that_stays_transient_ends_as_retries_exhausted()
    {
        var (work, failed, _) = await DeliverAsync(new ProbeWork { TransientFailures = int.MaxValue }, maxDeliveries: 5);

        Assert.That(work.Runs, Is.EqualTo(5), "the first run and four retries");
        Assert.That(failed?.Code, Is.EqualTo(StageFailure.RetriesExhausted));
        Assert.That(await _redis.GetDatabase().KeyExistsAsync($"deliveries:encoder:{_jobId}:7"), Is.False);
    }

    private async Task<(ProbeWork Work, ItemFailed? Failed, IReadOnlyDictionary<string, long> Counters)> DeliverAsync(ProbeWork work, int maxDeliveries)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Epd:Reliability:MaxDeliveries"] = maxDeliveries.ToString(),
            ["Epd:Messaging:RetryIntervals:0"] = "00:00:00",
            ["Epd:Messaging:RetryIntervals:1"] = "00:00:00",
            ["Epd:Messaging:RetryIntervals:2"] = "00:00:00",
            ["Epd:Messaging:RetryIntervals:3"] = "00:00:00",
        });
        var connections = new EpdConnectionOptions { Redis = Redis };
        var failures = new List<ItemFailed>();
        var outcome = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        builder.Services.AddSingleton(work);
        builder.Services.AddEpdStorage(connections);
        builder.Services.AddStageItemConsumption();
        builder.Services.AddEpdMessaging(connections, bus =>
        {
            bus.AddConsumer<ProbeItemConsumer>();
            bus.AddHandler<ItemFailed>(context =>
            {
                lock (failures)
                {
                    failures.Add(context.Message);
                }
                outcome.TrySetResult();
                return Task.CompletedTask;
            });
        });
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            await host.Services.GetRequiredService<IBus>().Publish(new EncodeItem(_jobId, 7, "c7", "x", [], new SamplingSettings(4), DateTimeOffset.UtcNow));
            // Done when the item failed, or when its work succeeded and the count was cleared.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (!outcome.Task.IsCompleted && DateTime.UtcNow < deadline)
            {
                var settled = work.Runs > work.TransientFailures && !await _redis.GetDatabase().KeyExistsAsync($"deliveries:encoder:{_jobId}:7");
                if (settled)
                {
                    break;
                }
                await Task.Delay(50);
            }
            await Task.Delay(200);
            var counters = await host.Services.GetRequiredService<IDeliveryLedger>().GetCountersAsync(_jobId, CancellationToken.None);
            lock (failures)
            {
                Assert.That(failures, Has.Count.LessThanOrEqualTo(1));
                return (work, failures.SingleOrDefault(), counters);
            }
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
