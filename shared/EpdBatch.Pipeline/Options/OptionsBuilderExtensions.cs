using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EpdBatch.Pipeline.Options;

internal static class OptionsBuilderExtensions
{
    /// <summary>
    /// Like <c>BindConfiguration</c>, but where no <see cref="IConfiguration"/> is registered (a bare service
    /// collection, as in tests and tools) the options keep their defaults instead of failing to resolve.
    /// </summary>
    public static OptionsBuilder<TOptions> BindSectionIfConfigured<TOptions>(this OptionsBuilder<TOptions> builder, string sectionName)
        where TOptions : class =>
        builder.Configure<IServiceProvider>((options, services) =>
            services.GetService<IConfiguration>()?.GetSection(sectionName).Bind(options, binder => binder.ErrorOnUnknownConfiguration = true));
}
