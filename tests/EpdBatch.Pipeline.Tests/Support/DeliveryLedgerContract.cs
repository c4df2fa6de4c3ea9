using EpdBatch.Pipeline.Reliability;

namespace EpdBatch.Pipeline.Tests.Support;

/// <summary>What every <see cref="IDeliveryLedger"/> must do, run against each implementation.</summary>
public abstract class DeliveryLedgerContract
{
    protected static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);

    protected string JobId { get; private set; } = null!;

    protected abstract IDeliveryLedger Ledger { get; }

    [SetUp]
    public void NewJob() => JobId = "ledger-" + Guid.NewGuid().ToString("N")[..10];

    [Test]
    public async Task Deliveries_count_per_stage_and_item_and_only_redeliveries_count_as_such()
    {
        Assert.That(await Ledger.CountDeliveryAsync("encoder", JobId, 1, Ttl, CancellationToken.None), Is.EqualTo(1));
        Assert.That(await Ledger.CountDeliveryAsync("encoder", JobId, 1, Ttl, CancellationToken.None), Is.EqualTo(2));
        Assert.That(await Ledger.CountDeliveryAsync("encoder", JobId, 2, Ttl, CancellationToken.None), Is.EqualTo(1));
        Assert.That(await Ledger.CountDeliveryAsync("decoder", JobId, 1, Ttl, CancellationToken.None), Is.EqualTo(1));
        Assert.That(await Ledger.CountDeliveryAsync("encoder", JobId, 1, Ttl, CancellationToken.None), Is.EqualTo(3));

        var counters = await Ledger.GetCountersAsync(JobId, CancellationToken.None);
        Assert.That(counters, Is.EquivalentTo(new Dictionary<string, long> { [ReliabilityCounters.Redeliveries("encoder")] = 2 }));
    }

    [Test]
    public async Task A_cleared_item_counts_from_one_again()
    {
        await Ledger.CountDeliveryAsync("prefill", JobId, 4, Ttl, CancellationToken.None);
        await Ledger.CountDeliveryAsync("prefill", JobId, 4, Ttl, CancellationToken.None);
        await Ledger.ClearDeliveriesAsync("prefill", JobId, 4, CancellationToken.None);

        Assert.That(await Ledger.CountDeliveryAsync("prefill", JobId, 4, Ttl, CancellationToken.None), Is.EqualTo(1));
    }

    [Test]
    public async Task Counters_add_up_per_job()
    {
        await Ledger.IncrementAsync(JobId, ReliabilityCounters.Recoveries("decoder"), CancellationToken.None);
        await Ledger.IncrementAsync(JobId, ReliabilityCounters.Recoveries("decoder"), CancellationToken.None);
        await Ledger.IncrementAsync(JobId, ReliabilityCounters.Recoveries("prefill"), CancellationToken.None);
        await Ledger.IncrementAsync(JobId + "-other", ReliabilityCounters.Recoveries("prefill"), CancellationToken.None);

        var counters = await Ledger.GetCountersAsync(JobId, CancellationToken.None);
        Assert.That(ReliabilityCounters.Total(counters, "recoveries"), Is.EqualTo(3));
        Assert.That(counters[ReliabilityCounters.Recoveries("decoder")], Is.EqualTo(2));
        Assert.That(await Ledger.GetCountersAsync("no-such-job", CancellationToken.None), Is.Empty);
    }
}
