using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EpdBatch.Pipeline.Options;

public static class StageOptionsServiceCollectionExtensions
{
    /// <summary>
    /// Binds <typeparamref name="TOptions"/> from its section, fills the derived defaults (and the model folder
    /// from EPD_MODEL), and validates at start: a misconfigured worker fails before it takes a message, with the
    /// setting's name. Unknown keys in the section (a misspelt setting) fail too.
    /// </summary>
    public static OptionsBuilder<TOptions> AddEpdStageOptions<TOptions>(this IServiceCollection services, IConfiguration configuration)
        where TOptions : StageOptions, IEpdOptionsSection, new()
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        if (!services.Any(d => d.ServiceType == typeof(IValidateOptions<TOptions>) && d.ImplementationInstance is FailureListValidator<TOptions>))
        {
            services.AddSingleton<IValidateOptions<TOptions>>(new FailureListValidator<TOptions>(static o => o.GetValidationFailures(TOptions.SectionName)));
        }

        return services.AddOptions<TOptions>()
            .Bind(configuration.GetSection(TOptions.SectionName), binder => binder.ErrorOnUnknownConfiguration = true)
            .PostConfigure(options => options.ApplyDefaults(EpdConnectionOptions.FromConfiguration(configuration).Model))
            .ValidateOnStart();
    }

    /// <summary>
    /// Registers <see cref="EpdConnectionOptions"/> read from configuration (EPD_* variables or <c>Epd:Connections</c>),
    /// validated at start.
    /// </summary>
    public static OptionsBuilder<EpdConnectionOptions> AddEpdConnectionOptions(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSingleton<IValidateOptions<EpdConnectionOptions>>(new FailureListValidator<EpdConnectionOptions>(static o => o.GetValidationFailures()));
        return services.AddOptions<EpdConnectionOptions>()
            .Configure(options =>
            {
                var read = EpdConnectionOptions.FromConfiguration(configuration);
                options.RabbitMq = read.RabbitMq;
                options.Redis = read.Redis;
                options.Blob = read.Blob;
                options.Model = read.Model;
            })
            .ValidateOnStart();
    }
}
