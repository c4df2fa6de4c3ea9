using MassTransit;

namespace EpdBatch.Pipeline.Tests.Support;

public sealed class FaultProbeConsumerDefinition : ConsumerDefinition<FaultProbeConsumer>
{
    public FaultProbeConsumerDefinition(Probe probe) => EndpointName = probe.QueueName + "-faults";

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<FaultProbeConsumer> consumerConfigurator, IRegistrationContext context)
    {
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.AutoDelete = true;
        }
    }
}
