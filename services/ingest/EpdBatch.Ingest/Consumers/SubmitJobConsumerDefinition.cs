using MassTransit;
using Microsoft.Extensions.Options;

namespace EpdBatch.Ingest.Consumers;

/// <summary>The ingest's command queue (<see cref="IngestOptions.JobQueue"/>), shared with the cancel and retry consumers.</summary>
internal sealed class SubmitJobConsumerDefinition : ConsumerDefinition<SubmitJobConsumer>
{
    public SubmitJobConsumerDefinition(IOptions<IngestOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        EndpointName = options.Value.JobQueue;
        ConcurrentMessageLimit = CommandConcurrency;
    }

    /// <summary>Commands are few and each reads a little from Redis (a derived idempotency key reads the manifest).</summary>
    internal const int CommandConcurrency = 4;
}
