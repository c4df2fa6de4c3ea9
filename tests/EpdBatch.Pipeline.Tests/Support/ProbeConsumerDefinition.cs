using MassTransit;

namespace EpdBatch.Pipeline.Tests.Support;

/// <summary>Owns the probe's endpoint: a queue per test, deleted by the broker when the test's bus goes.</summary>
public sealed class ProbeConsumerDefinition : ConsumerDefinition<ProbeConsumer>
{
    public ProbeConsumerDefinition(Probe probe)
    {
        EndpointName = probe.QueueName;
        ConcurrentMessageLimit = 4;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<ProbeConsumer> consumerConfigurator, IRegistrationContext context)
    {
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.AutoDelete = true;
            rabbit.PrefetchCount = 8;
        }
    }
}
