using EpdBatch.Ingest.Jobs;
using EpdBatch.Ingest.Tests.Support;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace EpdBatch.Ingest.Tests.Integration;

/// <summary>The job store contract against the real Redis, plus what only Redis gives: state that outlives the process.</summary>
public class RedisJobStoreTests : JobStoreContract
{
    private static readonly Lazy<ConnectionMultiplexer> s_redis = new(() => ConnectionMultiplexer.Connect(TestServers.Redis));

    private string _prefix = null!;

    protected override IJobStore CreateStore()
    {
        _prefix = $"epdtest:{TestRun.Name("store")}:";
        return new RedisJobStore(s_redis.Value, Options.Create(new IngestOptions { KeyPrefix = _prefix }));
    }

    [TearDown]
    public async Task DeleteKeys()
    {
        var server = s_redis.Value.GetServers()[0];
        var keys = server.Keys(pattern: _prefix + "*").ToArray();
        if (keys.Length > 0)
        {
            await s_redis.Value.GetDatabase().KeyDeleteAsync(keys);
        }
    }

    [Test]
    public async Task Another_process_sees_the_same_jobs_and_outcomes()
    {
        var job = NewJob();
        await Store.CreateAsync(job, CancellationToken.None);
        await Store.AddItemsAsync(job.Id, [Item(0)], CancellationToken.None);
        await Store.RecordOutcomeAsync(job.Id, Completed(0), false, CancellationToken.None);

        // A new connection and a new store: what a restarted ingest has.
        await using var other = await ConnectionMultiplexer.ConnectAsync(TestServers.Redis);
        var restarted = new RedisJobStore(other, Options.Create(new IngestOptions { KeyPrefix = _prefix }));

        Assert.That((await restarted.GetAsync(job.Id, CancellationToken.None))!.Completed, Is.EqualTo(1));
        Assert.That(await restarted.RecordOutcomeAsync(job.Id, Failed(0), false, CancellationToken.None), Is.EqualTo(OutcomeRecording.Duplicate));
        Assert.That(await restarted.ListActiveAsync(CancellationToken.None), Does.Contain(job.Id));
    }
}
