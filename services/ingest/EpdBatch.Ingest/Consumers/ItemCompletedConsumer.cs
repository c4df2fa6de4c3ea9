using EpdBatch.Contracts;
using EpdBatch.Ingest.Coordination;
using MassTransit;

namespace EpdBatch.Ingest.Consumers;

/// <summary>
/// Records an item's result as its terminal state, once: a duplicate (redelivery, a window published twice) or an
/// item already failed or cancelled is ignored. Acknowledged only after Redis has it.
/// </summary>
internal sealed class ItemCompletedConsumer : IConsumer<ItemCompleted>
{
    private readonly JobCoordinator _coordinator;

    public ItemCompletedConsumer(JobCoordinator coordinator) => _coordinator = coordinator;

    public Task Consume(ConsumeContext<ItemCompleted> context) => _coordinator.RecordCompletedAsync(context.Message, context.CancellationToken);
}
