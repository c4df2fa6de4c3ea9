using EpdBatch.Pipeline.Messaging;
using EpdBatch.Pipeline.Options;
using MassTransit;
using Microsoft.Extensions.Options;

namespace EpdBatch.Decoder;

/// <summary>
/// The decode queue's endpoint. Each message waits while its sequence decodes, so the concurrency limit is what keeps
/// the batch full: it defaults to the batch size, and the prefetch holds the next sequences ready to join.
/// </summary>
public sealed class DecodeItemConsumerDefinition : ConsumerDefinition<DecodeItemConsumer>
{
    private readonly DecoderOptions _options;

    public DecodeItemConsumerDefinition(IOptions<DecoderOptions> options)
    {
        _options = options.Value;
        EndpointName = PipelineQueues.Decode;
        ConcurrentMessageLimit = _options.ConcurrentMessageLimit;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<DecodeItemConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = _options.PrefetchCount;
    }
}
