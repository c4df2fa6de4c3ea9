using EpdBatch.Contracts;
using EpdBatch.Ingest.Coordination;
using MassTransit;

namespace EpdBatch.Ingest.Consumers;

/// <summary>Records a submitted job (or finds the one its idempotency key names) and answers at once; the job's driver does the rest.</summary>
internal sealed class SubmitJobConsumer : IConsumer<SubmitJob>
{
    private readonly JobCoordinator _coordinator;

    public SubmitJobConsumer(JobCoordinator coordinator) => _coordinator = coordinator;

    public async Task Consume(ConsumeContext<SubmitJob> context)
    {
        var result = await _coordinator.SubmitAsync(context.Message, context.CancellationToken);
        if (context.ResponseAddress is not null)
        {
            await (result.Accepted is { } accepted ? context.RespondAsync(accepted) : context.RespondAsync(result.Rejected!));
        }
    }
}
