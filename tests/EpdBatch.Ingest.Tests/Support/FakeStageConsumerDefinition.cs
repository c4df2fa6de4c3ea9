using MassTransit;

namespace EpdBatch.Ingest.Tests.Support;

/// <summary>The fake stage's queue: one per test, so that no other suite's encoder sees this test's items.</summary>
public sealed class FakeStageConsumerDefinition : ConsumerDefinition<FakeStageConsumer>
{
    public FakeStageConsumerDefinition(FakeStage stage)
    {
        ArgumentNullException.ThrowIfNull(stage);
        EndpointName = stage.QueueName;
        ConcurrentMessageLimit = 64;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<FakeStageConsumer> consumerConfigurator, IRegistrationContext context)
    {
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.PrefetchCount = 128;
        }
    }
}
