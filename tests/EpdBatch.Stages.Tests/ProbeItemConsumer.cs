using EpdBatch.Contracts;
using EpdBatch.Pipeline;
using MassTransit;

namespace EpdBatch.Stages.Tests;

/// <summary>A stage consumer whose work is the test's: it runs <see cref="ProbeWork"/> under the shared <see cref="ItemConsumption"/> policy.</summary>
internal sealed class ProbeItemConsumer(ItemConsumption consumption, ProbeWork work) : IConsumer<EncodeItem>
{
    public Task Consume(ConsumeContext<EncodeItem> context) =>
        consumption.RunAsync(context, PipelineStages.Encoder, context.Message.JobId, context.Message.ItemIndex, context.Message.CustomId,
            () => work.RunAsync(context.Message));
}
