using EpdBatch.Video.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EpdBatch.Video;

public static class VideoServiceCollectionExtensions
{
    /// <summary>
    /// <see cref="VideoOptions"/> bound from <c>Epd:Video</c> (unknown keys fail: a misspelt limit must not silently
    /// keep its default) and validated at start, and the <see cref="FfmpegFrameSampler"/> singleton. Safe to call twice.
    /// </summary>
    public static IServiceCollection AddEpdVideo(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        if (services.Any(d => d.ServiceType == typeof(FfmpegFrameSampler)))
        {
            return services;
        }

        services.AddSingleton<IValidateOptions<VideoOptions>, VideoOptionsValidator>();
        services.AddOptions<VideoOptions>()
            .Bind(configuration.GetSection(VideoOptions.SectionName), binder => binder.ErrorOnUnknownConfiguration = true)
            .ValidateOnStart();
        services.TryAddSingleton<FfmpegFrameSampler>();
        return services;
    }
}
