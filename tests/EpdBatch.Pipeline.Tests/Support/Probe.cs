using System.Collections.Concurrent;
using EpdBatch.Contracts;
using MassTransit;

namespace EpdBatch.Pipeline.Tests.Support;

/// <summary>What the probe consumers saw, for one test: messages of this test's job only (a shared broker may carry others).</summary>
public sealed class Probe(string jobId, string queueName)
{
    public string JobId { get; } = jobId;

    public string QueueName { get; } = queueName;

    public ConcurrentDictionary<string, int> Attempts { get; } = new();

    public TaskCompletionSource<(EncodeItem Message, long BodyBytes)> Encode { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource<(DecodeItem Message, long BodyBytes)> Decode { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConcurrentDictionary<string, TaskCompletionSource<Fault<EncodeItem>>> Faults { get; } = new();

    public TaskCompletionSource<Fault<EncodeItem>> FaultOf(string customId) =>
        Faults.GetOrAdd(customId, static _ => new TaskCompletionSource<Fault<EncodeItem>>(TaskCreationOptions.RunContinuationsAsynchronously));
}
