using MassTransit;
using Microsoft.Extensions.Options;

namespace EpdBatch.Ingest.Consumers;

/// <summary>On the results queue (<see cref="IngestOptions.ResultsQueue"/>).</summary>
internal sealed class ItemFailedConsumerDefinition : ConsumerDefinition<ItemFailedConsumer>
{
    public ItemFailedConsumerDefinition(IOptions<IngestOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        EndpointName = options.Value.ResultsQueue;
        ConcurrentMessageLimit = ItemCompletedConsumerDefinition.ResultConcurrency;
    }
}
