using EpdBatch.Pipeline.Options;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace EpdBatch.Pipeline.Reliability;

public static class ReliabilityServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="ReliabilityOptions"/> (validated at start) and the <see cref="IDeliveryLedger"/>: on Redis
    /// where <c>AddEpdStorage</c> registered a connection, in-process otherwise. Safe to call from every stage.
    /// </summary>
    public static IServiceCollection AddEpdReliability(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(static d => d.ServiceType == typeof(IDeliveryLedger)))
        {
            return services;
        }

        services.AddOptions<ReliabilityOptions>().BindSectionIfConfigured(ReliabilityOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ReliabilityOptions>>(new FailureListValidator<ReliabilityOptions>(static o => o.GetValidationFailures()));
        services.TryAddSingleton<IDeliveryLedger>(static sp => sp.GetService<IConnectionMultiplexer>() is { } redis
            ? new RedisDeliveryLedger(redis)
            : new InMemoryDeliveryLedger());
        return services;
    }
}
