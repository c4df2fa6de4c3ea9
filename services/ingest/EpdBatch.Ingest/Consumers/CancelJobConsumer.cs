using EpdBatch.Contracts;
using EpdBatch.Ingest.Coordination;
using MassTransit;

namespace EpdBatch.Ingest.Consumers;

/// <summary>Marks a job cancelling; its driver stops publishing and finishes the cancel.</summary>
internal sealed class CancelJobConsumer : IConsumer<CancelJob>
{
    private readonly JobCoordinator _coordinator;

    public CancelJobConsumer(JobCoordinator coordinator) => _coordinator = coordinator;

    public async Task Consume(ConsumeContext<CancelJob> context)
    {
        var result = await _coordinator.CancelAsync(context.Message.JobId, context.CancellationToken);
        if (context.ResponseAddress is not null)
        {
            await (result.Accepted is { } accepted ? context.RespondAsync(accepted) : context.RespondAsync(result.Rejected!));
        }
    }
}
