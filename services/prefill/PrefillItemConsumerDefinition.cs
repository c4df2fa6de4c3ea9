using EpdBatch.Pipeline.Messaging;
using EpdBatch.Pipeline.Options;
using MassTransit;
using Microsoft.Extensions.Options;

namespace EpdBatch.Prefill;

public sealed class PrefillItemConsumerDefinition : ConsumerDefinition<PrefillItemConsumer>
{
    private readonly PrefillOptions _options;

    public PrefillItemConsumerDefinition(IOptions<PrefillOptions> options)
    {
        _options = options.Value;
        EndpointName = PipelineQueues.Prefill;
        ConcurrentMessageLimit = _options.ConcurrentMessageLimit;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<PrefillItemConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = _options.PrefetchCount;
    }
}
