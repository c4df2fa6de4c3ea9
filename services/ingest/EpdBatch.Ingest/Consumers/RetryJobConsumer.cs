using EpdBatch.Contracts;
using EpdBatch.Ingest.Coordination;
using MassTransit;

namespace EpdBatch.Ingest.Consumers;

/// <summary>Records a new job of a finished job's failed items, linked both ways.</summary>
internal sealed class RetryJobConsumer : IConsumer<RetryJob>
{
    private readonly JobCoordinator _coordinator;

    public RetryJobConsumer(JobCoordinator coordinator) => _coordinator = coordinator;

    public async Task Consume(ConsumeContext<RetryJob> context)
    {
        var result = await _coordinator.RetryAsync(context.Message, context.CancellationToken);
        if (context.ResponseAddress is not null)
        {
            await (result.Accepted is { } accepted ? context.RespondAsync(accepted) : context.RespondAsync(result.Rejected!));
        }
    }
}
