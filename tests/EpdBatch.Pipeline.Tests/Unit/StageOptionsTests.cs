using EpdBatch.Pipeline.Options;
using EpdBatch.Pipeline.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EpdBatch.Pipeline.Tests.Unit;

public class StageOptionsTests
{
    private string _model = null!;

    [SetUp]
    public void CreateModelFolder()
    {
        _model = Path.Combine(Path.GetTempPath(), TestRun.Name("model"));
        Directory.CreateDirectory(_model);
    }

    [TearDown]
    public void DeleteModelFolder() => Directory.Delete(_model, recursive: true);

    [Test]
    public void Defaults_follow_each_stage_and_derive_concurrency_and_prefetch()
    {
        var settings = new Dictionary<string, string?> { ["EPD_MODEL"] = _model };

        var encoder = Resolve<EncoderOptions>(settings);
        var prefill = Resolve<PrefillOptions>(settings);
        var decoder = Resolve<DecoderOptions>(settings);

        Assert.That((encoder.MaxBatchSize, prefill.MaxBatchSize, decoder.MaxBatchSize), Is.EqualTo((8, 4, 16)));
        Assert.That((encoder.ConcurrentMessageLimit, encoder.PrefetchCount), Is.EqualTo((8, 16)));
        Assert.That((decoder.ConcurrentMessageLimit, decoder.PrefetchCount), Is.EqualTo((16, 32)));
        Assert.That(encoder.MaxBatchWaitMs, Is.EqualTo(20));
        Assert.That(encoder.Device, Is.EqualTo("cpu"));
        Assert.That(encoder.ModelPath, Is.EqualTo(_model), "falls back to EPD_MODEL");
        Assert.That((encoder.TokenTtl, encoder.KvTtl), Is.EqualTo((TimeSpan.FromHours(1), TimeSpan.FromHours(1))));
    }

    [Test]
    public void Settings_bind_from_the_stage_section_as_compose_names_them()
    {
        var other = Path.Combine(_model, "other");
        Directory.CreateDirectory(other);

        var prefill = Resolve<PrefillOptions>(new Dictionary<string, string?>
        {
            // Epd__Prefill__MaxBatchSize in the environment is this key.
            ["Epd:Prefill:MaxBatchSize"] = "12",
            ["Epd:Prefill:ConcurrentMessageLimit"] = "6",
            ["Epd:Prefill:Device"] = "cuda:1",
            ["Epd:Prefill:ModelPath"] = other,
            ["Epd:Prefill:KvTtl"] = "00:30:00",
            ["EPD_MODEL"] = _model,
        });

        Assert.That((prefill.MaxBatchSize, prefill.ConcurrentMessageLimit, prefill.PrefetchCount), Is.EqualTo((12, 6, 12)));
        Assert.That(prefill.Device, Is.EqualTo("cuda:1"));
        Assert.That(prefill.ModelPath, Is.EqualTo(other), "the stage's own setting wins over EPD_MODEL");
        Assert.That(prefill.KvTtl, Is.EqualTo(TimeSpan.FromMinutes(30)));
    }

    [TestCase("Epd:Encoder:MaxBatchSize", "0", "Epd:Encoder:MaxBatchSize must be between 1 and 1024")]
    [TestCase("Epd:Encoder:MaxBatchSize", "1025", "Epd:Encoder:MaxBatchSize must be between 1 and 1024")]
    [TestCase("Epd:Encoder:Device", "gpu", "Epd:Encoder:Device must be 'cpu', 'cuda' or 'cuda:N'")]
    [TestCase("Epd:Encoder:PrefetchCount", "3", "Epd:Encoder:PrefetchCount must be between ConcurrentMessageLimit (8)")]
    [TestCase("Epd:Encoder:TokenTtl", "-00:00:01", "Epd:Encoder:TokenTtl must be positive")]
    [TestCase("Epd:Encoder:ModelPath", "/no/such/model", "Epd:Encoder:ModelPath (or EPD_MODEL) names a folder that does not exist")]
    public void Bad_settings_fail_the_host_at_start_naming_the_setting(string key, string value, string message)
    {
        using var host = BuildHost<EncoderOptions>(new Dictionary<string, string?> { ["EPD_MODEL"] = _model, [key] = value });

        var e = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(e!.Message, Does.Contain(message));
    }

    [Test]
    public void The_encoders_media_cache_ttl_binds_and_a_negative_one_fails_at_start()
    {
        var encoder = Resolve<EncoderOptions>(new Dictionary<string, string?> { ["EPD_MODEL"] = _model, ["Epd:Encoder:MediaCacheTtl"] = "00:00:00" });
        Assert.That(encoder.MediaCacheTtl, Is.EqualTo(TimeSpan.Zero), "zero turns the cache off");
        Assert.That(new EncoderOptions().MediaCacheTtl, Is.EqualTo(TimeSpan.FromMinutes(5)));

        using var host = BuildHost<EncoderOptions>(new Dictionary<string, string?> { ["EPD_MODEL"] = _model, ["Epd:Encoder:MediaCacheTtl"] = "-00:01:00" });
        var e = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.That(e!.Message, Does.Contain("Epd:Encoder:MediaCacheTtl must be between"));
    }

    [Test]
    public void Missing_model_fails_at_start()
    {
        using var host = BuildHost<DecoderOptions>(new Dictionary<string, string?>());

        var e = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(e!.Message, Does.Contain("Epd:Decoder:ModelPath is not set, nor is EPD_MODEL"));
    }

    [Test]
    public void Misspelt_setting_fails_at_start_with_its_name()
    {
        using var host = BuildHost<EncoderOptions>(new Dictionary<string, string?> { ["EPD_MODEL"] = _model, ["Epd:Encoder:MaxBatchSzie"] = "4" });

        var e = Assert.CatchAsync(() => host.StartAsync());

        Assert.That(e!.Message, Does.Contain("MaxBatchSzie"));
    }

    [Test]
    public void Input_limits_of_each_stage_are_validated_at_start_with_their_names()
    {
        var model = new Dictionary<string, string?> { ["EPD_MODEL"] = _model };
        using var encoder = BuildHost<EncoderOptions>(new(model) { ["Epd:Encoder:MaxImagePixels"] = "0", ["Epd:Encoder:MaxImageBytes"] = "-1" });
        using var prefill = BuildHost<PrefillOptions>(new(model) { ["Epd:Prefill:MaxPromptTokens"] = "-5" });
        using var decoder = BuildHost<DecoderOptions>(new(model) { ["Epd:Decoder:MaxContext"] = "-1", ["Epd:Decoder:CancelCheckInterval"] = "00:00:00" });

        Assert.That(Assert.ThrowsAsync<OptionsValidationException>(() => encoder.StartAsync())!.Message,
            Does.Contain("Epd:Encoder:MaxImagePixels").And.Contain("Epd:Encoder:MaxImageBytes"));
        Assert.That(Assert.ThrowsAsync<OptionsValidationException>(() => prefill.StartAsync())!.Message, Does.Contain("Epd:Prefill:MaxPromptTokens"));
        Assert.That(Assert.ThrowsAsync<OptionsValidationException>(() => decoder.StartAsync())!.Message,
            Does.Contain("Epd:Decoder:MaxContext").And.Contain("Epd:Decoder:CancelCheckInterval"));
        Assert.That(Resolve<EncoderOptions>(model).MaxImagePixels, Is.EqualTo(50_000_000));
        Assert.That(Resolve<DecoderOptions>(model).CancelCheckInterval, Is.EqualTo(TimeSpan.FromSeconds(1)));
    }

    [Test]
    public async Task Good_settings_start()
    {
        using var host = BuildHost<EncoderOptions>(new Dictionary<string, string?> { ["EPD_MODEL"] = _model });
        await host.StartAsync();
        await host.StopAsync();
    }

    private static TOptions Resolve<TOptions>(Dictionary<string, string?> settings)
        where TOptions : StageOptions, IEpdOptionsSection, new()
    {
        using var host = BuildHost<TOptions>(settings);
        return host.Services.GetRequiredService<IOptions<TOptions>>().Value;
    }

    private static IHost BuildHost<TOptions>(Dictionary<string, string?> settings)
        where TOptions : StageOptions, IEpdOptionsSection, new()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddEpdStageOptions<TOptions>(builder.Configuration);
        return builder.Build();
    }
}
