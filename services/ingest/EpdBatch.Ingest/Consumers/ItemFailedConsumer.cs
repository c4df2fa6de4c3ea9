using EpdBatch.Contracts;
using EpdBatch.Ingest.Coordination;
using MassTransit;

namespace EpdBatch.Ingest.Consumers;

/// <summary>Records an item's failure (stage, code, message) as its terminal state, once; it ends in errors.jsonl.</summary>
internal sealed class ItemFailedConsumer : IConsumer<ItemFailed>
{
    private readonly JobCoordinator _coordinator;

    public ItemFailedConsumer(JobCoordinator coordinator) => _coordinator = coordinator;

    public Task Consume(ConsumeContext<ItemFailed> context) => _coordinator.RecordFailedAsync(context.Message, context.CancellationToken);
}
