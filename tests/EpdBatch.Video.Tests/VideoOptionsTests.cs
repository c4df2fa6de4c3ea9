using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EpdBatch.Video.Tests;

/// <summary>A worker with bad video settings fails at start, naming the setting.</summary>
[TestFixture]
public sealed class VideoOptionsTests
{
    [Test]
    public void Defaults_are_valid()
    {
        var options = new VideoOptions();
        Assert.That(options.GetValidationFailures(VideoOptions.SectionName), Is.Empty);
        Assert.That((options.DefaultFrames, options.MaxFrames, options.MaxDurationSeconds, options.MaxWidth, options.MaxHeight, options.DecodeTimeout),
            Is.EqualTo((8, 32, 600.0, 4096, 4096, TimeSpan.FromSeconds(60))));
    }

    [Test]
    public void Every_bad_setting_is_named()
    {
        var options = new VideoOptions
        {
            DefaultFrames = 40,
            MaxFrames = 32,
            MaxDurationSeconds = 0,
            MaxWidth = 0,
            MaxBytes = 0,
            DecodeTimeout = TimeSpan.Zero,
            MaxInputsPerRun = 0,
            FfmpegPath = "/nonexistent/ffmpeg",
            TempDirectory = "/nonexistent/tmp",
        };

        var failures = options.GetValidationFailures("Epd:Video");

        Assert.That(failures, Has.Some.StartsWith("Epd:Video:DefaultFrames"));
        Assert.That(failures, Has.Some.StartsWith("Epd:Video:MaxDurationSeconds"));
        Assert.That(failures, Has.Some.StartsWith("Epd:Video:MaxWidth"));
        Assert.That(failures, Has.Some.StartsWith("Epd:Video:MaxBytes"));
        Assert.That(failures, Has.Some.StartsWith("Epd:Video:DecodeTimeout"));
        Assert.That(failures, Has.Some.StartsWith("Epd:Video:MaxInputsPerRun"));
        Assert.That(failures, Has.Some.StartsWith("Epd:Video:TempDirectory"));
        Assert.That(failures, Has.Count.EqualTo(7));
        Assert.That(options.GetToolFailures("Epd:Video"), Has.Count.EqualTo(1).And.Some.StartsWith("Epd:Video:FfmpegPath"),
            "a missing ffmpeg is a tool failure, apart from the settings");
    }

    [Test]
    public void Settings_bind_from_Epd_Video()
    {
        using var host = Build(new() { ["Epd:Video:DefaultFrames"] = "4", ["Epd:Video:DecodeTimeout"] = "00:00:05", ["Epd:Video:MaxDurationSeconds"] = "30" });
        var options = host.Services.GetRequiredService<IOptions<VideoOptions>>().Value;
        Assert.That((options.DefaultFrames, options.DecodeTimeout, options.MaxDurationSeconds), Is.EqualTo((4, TimeSpan.FromSeconds(5), 30.0)));
        Assert.That(host.Services.GetRequiredService<FfmpegFrameSampler>().Options.DefaultFrames, Is.EqualTo(4));
    }

    [Test]
    public void A_bad_value_fails_the_start_with_the_setting_name()
    {
        using var host = Build(new() { ["Epd:Video:MaxFrames"] = "0" });
        var error = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.That(error!.Message, Does.Contain("Epd:Video:MaxFrames"));
    }

    [Test]
    public void A_misspelt_setting_fails_the_start()
    {
        using var host = Build(new() { ["Epd:Video:MaxFrame"] = "4" });
        var error = Assert.CatchAsync(() => host.StartAsync());
        Assert.That(error!.Message, Does.Contain("MaxFrame"));
    }

    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddEpdVideo(builder.Configuration);
        return builder.Build();
    }
}
