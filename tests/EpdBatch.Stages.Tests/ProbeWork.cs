using EpdBatch.Contracts;

namespace EpdBatch.Stages.Tests;

/// <summary>What <see cref="ProbeItemConsumer"/> does with an item: fails transiently a set number of times, then publishes nothing and succeeds.</summary>
internal sealed class ProbeWork
{
    private int _runs;

    public int TransientFailures { get; set; }

    public int Runs => _runs;

    public Task RunAsync(EncodeItem item)
    {
        if (Interlocked.Increment(ref _runs) <= TransientFailures)
        {
            throw new IOException($"storage briefly away (run {_runs})");
        }
        return Task.CompletedTask;
    }
}
