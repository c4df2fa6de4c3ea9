using EpdBatch.Pipeline.Options;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace EpdBatch.Pipeline.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ITensorStore"/> and <see cref="IBlobStore"/>: Redis where <see cref="EpdConnectionOptions.Redis"/>
    /// is set (one shared <see cref="IConnectionMultiplexer"/>), else the in-process store; Azure Blob Storage where
    /// <see cref="EpdConnectionOptions.Blob"/> is set, else a local folder (<see cref="EpdStorageOptions.LocalRoot"/>).
    /// The connection settings are validated here, so a bad one fails at start with its name.
    /// </summary>
    public static IServiceCollection AddEpdStorage(this IServiceCollection services, EpdConnectionOptions connections, Action<EpdStorageOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(connections);
        connections.Validate();

        services.TryAddSingleton(TimeProvider.System);
        var options = services.AddOptions<EpdStorageOptions>().BindSectionIfConfigured(EpdStorageOptions.SectionName);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.AddSingleton<IValidateOptions<EpdStorageOptions>>(new FailureListValidator<EpdStorageOptions>(static o => o.GetValidationFailures()));
        options.ValidateOnStart();

        if (connections.Redis is { } redis)
        {
            services.TryAddSingleton<IConnectionMultiplexer>(_ => ConnectRedis(redis));
            services.TryAddSingleton<ITensorStore, RedisTensorStore>();
        }
        else
        {
            services.TryAddSingleton<ITensorStore, InMemoryTensorStore>();
        }

        if (connections.Blob is { } blob)
        {
            services.TryAddSingleton<IBlobStore>(sp => new AzureBlobStore(blob, sp.GetRequiredService<IOptions<EpdStorageOptions>>(), sp.GetRequiredService<TimeProvider>()));
        }
        else
        {
            services.TryAddSingleton<IBlobStore>(sp => new LocalFolderStore(sp.GetRequiredService<IOptions<EpdStorageOptions>>().Value.LocalRoot ?? Environment.CurrentDirectory));
        }

        return services.AddEpdMediaAccess(connections);
    }

    /// <summary>
    /// Registers the <see cref="MediaAccessPolicy"/> of the registered <see cref="IBlobStore"/> (or, for a store of
    /// another kind, of the connection settings) with <see cref="EpdStorageOptions"/>'s allowlist and media root.
    /// </summary>
    public static IServiceCollection AddEpdMediaAccess(this IServiceCollection services, EpdConnectionOptions connections)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(connections);
        services.TryAddSingleton(sp => MediaAccessPolicy.Create(
            sp.GetRequiredService<IBlobStore>(), connections, sp.GetRequiredService<IOptions<EpdStorageOptions>>().Value));
        return services;
    }

    /// <summary>Connects without failing when Redis is not up yet: the multiplexer keeps trying, and each store call retries.</summary>
    public static ConnectionMultiplexer ConnectRedis(string configuration)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(configuration);
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        return ConnectionMultiplexer.Connect(options);
    }
}
