using EpdBatch.Pipeline.Options;
using EpdBatch.Pipeline.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EpdBatch.Pipeline.Tests.Unit;

public class EpdConnectionOptionsTests
{
    [Test]
    public void Reads_the_environment_names()
    {
        var options = EpdConnectionOptions.FromConfiguration(Configuration(new()
        {
            ["EPD_RABBITMQ"] = "amqp://u:p@rabbit:5672/",
            ["EPD_REDIS"] = "redis:6379",
            ["EPD_BLOB"] = "UseDevelopmentStorage=true",
            ["EPD_MODEL"] = "/models/llava",
        }));

        Assert.That(options.RabbitMq, Is.EqualTo("amqp://u:p@rabbit:5672/"));
        Assert.That(options.Redis, Is.EqualTo("redis:6379"));
        Assert.That(options.Blob, Is.EqualTo("UseDevelopmentStorage=true"));
        Assert.That(options.Model, Is.EqualTo("/models/llava"));
    }

    [Test]
    public void Reads_the_section_names_and_treats_blank_as_not_set()
    {
        var options = EpdConnectionOptions.FromConfiguration(Configuration(new()
        {
            ["Epd:Connections:RabbitMq"] = "amqp://rabbit/",
            ["Epd:Connections:Redis"] = "  ",
        }));

        Assert.That(options.RabbitMq, Is.EqualTo("amqp://rabbit/"));
        Assert.That(options.Redis, Is.Null);
        Assert.That(options.Blob, Is.Null);
    }

    [Test]
    public void The_later_source_wins_whichever_name_it_uses()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Epd:Connections:Redis"] = "from-appsettings:6379", ["EPD_BLOB"] = "UseDevelopmentStorage=true" })
            .AddInMemoryCollection(new Dictionary<string, string?> { ["EPD_REDIS"] = "from-environment:6379" })
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Epd:Connections:Blob"] = "from-command-line" })
            .Build();

        var options = EpdConnectionOptions.FromConfiguration(configuration);

        Assert.That(options.Redis, Is.EqualTo("from-environment:6379"));
        Assert.That(options.Blob, Is.EqualTo("from-command-line"));
    }

    [Test]
    public void Bad_settings_are_named_and_redacted()
    {
        var options = new EpdConnectionOptions
        {
            RabbitMq = "http://u:s3cr3t@rabbit/",
            Blob = "AccountName=x;AccountKey=c2VjcmV0;Nonsense",
        };

        var failures = options.GetValidationFailures();

        Assert.That(failures, Has.Count.EqualTo(2));
        Assert.That(failures[0], Does.StartWith("EPD_RABBITMQ (Epd:Connections:RabbitMq) must be an AMQP URI"));
        Assert.That(failures[1], Does.StartWith("EPD_BLOB (Epd:Connections:Blob) is not an Azure Storage connection string"));
        Assert.That(string.Join("\n", failures), Does.Not.Contain("s3cr3t").And.Not.Contain("c2VjcmV0"));
        Assert.Throws<OptionsValidationException>(options.Validate);
        Assert.Throws<OptionsValidationException>(() => new ServiceCollection().AddEpdStorage(options));
    }

    [Test]
    public void Good_settings_pass()
    {
        var options = new EpdConnectionOptions
        {
            RabbitMq = "amqp://guest:guest@127.0.0.1:5672/",
            Redis = "127.0.0.1:6379,password=x",
            Blob = "UseDevelopmentStorage=true",
        };

        Assert.That(options.GetValidationFailures(), Is.Empty);
    }

    [Test]
    public void Registered_connection_options_are_validated_at_start()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["EPD_RABBITMQ"] = "not a uri" });
        builder.Services.AddEpdConnectionOptions(builder.Configuration);
        using var host = builder.Build();

        var e = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(e!.Message, Does.Contain("EPD_RABBITMQ"));
    }

    private static IConfiguration Configuration(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
