using EpdBatch.Contracts;
using MassTransit;

namespace EpdBatch.Pipeline.Tests.Support;

public sealed class FaultProbeConsumer(Probe probe) : IConsumer<Fault<EncodeItem>>
{
    public Task Consume(ConsumeContext<Fault<EncodeItem>> context)
    {
        if (context.Message.Message.JobId == probe.JobId)
        {
            probe.FaultOf(context.Message.Message.CustomId).TrySetResult(context.Message);
        }

        return Task.CompletedTask;
    }
}
