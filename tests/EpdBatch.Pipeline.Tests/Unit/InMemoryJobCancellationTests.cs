using EpdBatch.Pipeline.Progress;

namespace EpdBatch.Pipeline.Tests.Unit;

/// <summary>The embedded mode's cancelled-job marks: seen at once, until their TTL.</summary>
public class InMemoryJobCancellationTests
{
    [Test]
    public async Task An_in_process_mark_holds_until_its_ttl()
    {
        var time = new ManualTime();
        var cancellation = new InMemoryJobCancellation(time);
        await cancellation.MarkCancelledAsync("job-1", TimeSpan.FromMinutes(5), CancellationToken.None);

        Assert.That(await cancellation.IsCancelledAsync("job-1", CancellationToken.None), Is.True);
        Assert.That(await cancellation.IsCancelledAsync("job-2", CancellationToken.None), Is.False);
        time.Now += TimeSpan.FromMinutes(6);
        Assert.That(await cancellation.IsCancelledAsync("job-1", CancellationToken.None), Is.False);
    }

    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = DateTimeOffset.UnixEpoch;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
