using EpdBatch.Pipeline.Messaging;
using EpdBatch.Pipeline.Options;
using MassTransit;
using Microsoft.Extensions.Options;

namespace EpdBatch.Encoder;

/// <summary>The encode queue's endpoint: enough messages in flight to fill a batch, and the next batch prefetched.</summary>
public sealed class EncodeItemConsumerDefinition : ConsumerDefinition<EncodeItemConsumer>
{
    private readonly EncoderOptions _options;

    public EncodeItemConsumerDefinition(IOptions<EncoderOptions> options)
    {
        _options = options.Value;
        EndpointName = PipelineQueues.Encode;
        ConcurrentMessageLimit = _options.ConcurrentMessageLimit;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<EncodeItemConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = _options.PrefetchCount;
    }
}
