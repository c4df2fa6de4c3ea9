using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace EpdBatch.Stages;

public static class DeviceKvHandoffServiceCollectionExtensions
{
    /// <summary>
    /// Registers <paramref name="stage"/> (prefill or decoder) with the process's <see cref="DeviceKvHandoff"/>, which
    /// is on only where both stages are registered and the tensor store is the in-process one.
    /// </summary>
    public static IServiceCollection AddDeviceKvHandoff(this IServiceCollection services, string stage)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(new DeviceKvHandoffParticipant(stage));
        services.TryAddSingleton<DeviceKvHandoff>();
        return services;
    }
}
