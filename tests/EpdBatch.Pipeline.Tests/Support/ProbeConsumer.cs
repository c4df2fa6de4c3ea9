using EpdBatch.Contracts;
using MassTransit;
using StackExchange.Redis;

namespace EpdBatch.Pipeline.Tests.Support;

/// <summary>
/// Records what arrives. Its behaviour comes from the item's CustomId: <c>transient-N</c> fails N times with a
/// Redis connection error, then succeeds; <c>permanent</c> fails with a <see cref="PermanentItemException"/>.
/// </summary>
public sealed class ProbeConsumer(Probe probe) : IConsumer<EncodeItem>, IConsumer<DecodeItem>
{
    public Task Consume(ConsumeContext<EncodeItem> context)
    {
        var item = context.Message;
        if (item.JobId != probe.JobId)
        {
            return Task.CompletedTask;
        }

        var attempt = probe.Attempts.AddOrUpdate(item.CustomId, 1, static (_, n) => n + 1);
        if (item.CustomId.StartsWith("transient-", StringComparison.Ordinal) && attempt <= int.Parse(item.CustomId["transient-".Length..]))
        {
            throw new RedisConnectionException(ConnectionFailureType.SocketFailure, CommandFlags.None, $"simulated outage, attempt {attempt}", null, CommandStatus.Unknown);
        }

        if (item.CustomId == "permanent")
        {
            throw new PermanentItemException(PipelineStages.Encoder, "media_undecodable", "simulated bad media");
        }

        probe.Encode.TrySetResult((item, BodyLength(context)));
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<DecodeItem> context)
    {
        if (context.Message.JobId == probe.JobId)
        {
            probe.Decode.TrySetResult((context.Message, BodyLength(context)));
        }

        return Task.CompletedTask;
    }

    private static long BodyLength(ConsumeContext context) =>
        context.ReceiveContext.Body.Length ?? context.ReceiveContext.Body.GetBytes().LongLength;
}
