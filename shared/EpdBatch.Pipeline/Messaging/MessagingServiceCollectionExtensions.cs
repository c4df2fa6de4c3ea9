using EpdBatch.Pipeline.Health;
using EpdBatch.Pipeline.Options;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EpdBatch.Pipeline.Messaging;

public static class MessagingServiceCollectionExtensions
{
    /// <summary>
    /// Adds MassTransit over RabbitMQ where <see cref="EpdConnectionOptions.RabbitMq"/> is set (durable queues,
    /// publisher confirms), over the in-memory transport otherwise. Endpoints come from <c>ConfigureEndpoints</c>,
    /// so each consumer's ConsumerDefinition owns its endpoint's concurrency and prefetch. Every endpoint gets one
    /// retry policy: transient failures (<see cref="TransientFailures"/>) are redelivered at
    /// <see cref="EpdMessagingOptions.EffectiveRetryIntervals"/>; anything else, a <see cref="PermanentItemException"/> above
    /// all, is not retried. Also adds the health checks and the readiness file of <see cref="HealthFileOptions"/>.
    /// </summary>
    public static IServiceCollection AddEpdMessaging(
        this IServiceCollection services,
        EpdConnectionOptions options,
        Action<IBusRegistrationConfigurator> configureConsumers)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(configureConsumers);
        options.Validate();

        services.AddOptions<EpdMessagingOptions>().BindSectionIfConfigured(EpdMessagingOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<EpdMessagingOptions>>(new FailureListValidator<EpdMessagingOptions>(static o => o.GetValidationFailures()));

        services.TryAddSingleton(TimeProvider.System);
        services.AddHealthChecks();
        services.AddOptions<HealthFileOptions>().BindSectionIfConfigured(HealthFileOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<HealthFileOptions>>(new FailureListValidator<HealthFileOptions>(static o => o.GetValidationFailures()));
        services.AddHostedService<HealthFileWriter>();

        // Start fails (rather than hangs or limps on) when the broker cannot be reached.
        services.AddOptions<MassTransitHostOptions>().Configure<IOptions<EpdMessagingOptions>>((host, messaging) =>
        {
            host.WaitUntilStarted = true;
            host.StartTimeout = messaging.Value.StartTimeout;
            host.StopTimeout = TimeSpan.FromSeconds(30);
        });

        services.AddMassTransit(bus =>
        {
            bus.SetKebabCaseEndpointNameFormatter();
            configureConsumers(bus);

            bus.AddConfigureEndpointsCallback(static (context, _, endpoint) =>
            {
                var intervals = context.GetRequiredService<IOptions<EpdMessagingOptions>>().Value.EffectiveRetryIntervals.ToArray();
                endpoint.UseMessageRetry(retry =>
                {
                    retry.Handle<Exception>(TransientFailures.IsTransient);
                    retry.Ignore<PermanentItemException>();
                    retry.Intervals(intervals);
                });

                if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
                {
                    rabbit.Durable = true;
                }
            });

            if (options.RabbitMq is { } amqp)
            {
                bus.UsingRabbitMq((context, cfg) =>
                {
                    cfg.Host(new Uri(amqp), host =>
                    {
                        host.PublisherConfirmation = true;
                        host.ConnectionName(AppDomain.CurrentDomain.FriendlyName);
                    });
                    cfg.ConfigureEndpoints(context);
                });
            }
            else
            {
                bus.UsingInMemory((context, cfg) => cfg.ConfigureEndpoints(context));
            }
        });

        return services;
    }
}
