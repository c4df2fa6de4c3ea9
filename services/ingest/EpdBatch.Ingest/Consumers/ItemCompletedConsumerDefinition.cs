using MassTransit;
using Microsoft.Extensions.Options;

namespace EpdBatch.Ingest.Consumers;

/// <summary>The results queue (<see cref="IngestOptions.ResultsQueue"/>), shared with <see cref="ItemFailedConsumer"/>.</summary>
internal sealed class ItemCompletedConsumerDefinition : ConsumerDefinition<ItemCompletedConsumer>
{
    public ItemCompletedConsumerDefinition(IOptions<IngestOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        EndpointName = options.Value.ResultsQueue;
        ConcurrentMessageLimit = ResultConcurrency;
    }

    /// <summary>Each result is one Redis script; a few dozen at once keep up with any decoder fleet.</summary>
    internal const int ResultConcurrency = 32;

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<ItemCompletedConsumer> consumerConfigurator, IRegistrationContext context)
    {
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.PrefetchCount = 2 * ResultConcurrency;
        }
    }
}
