using MassTransit;
using Microsoft.Extensions.Options;

namespace EpdBatch.Ingest.Consumers;

/// <summary>On the ingest's command queue (<see cref="IngestOptions.JobQueue"/>).</summary>
internal sealed class CancelJobConsumerDefinition : ConsumerDefinition<CancelJobConsumer>
{
    public CancelJobConsumerDefinition(IOptions<IngestOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        EndpointName = options.Value.JobQueue;
        ConcurrentMessageLimit = SubmitJobConsumerDefinition.CommandConcurrency;
    }
}
