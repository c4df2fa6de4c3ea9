using EpdBatch.Pipeline.Messaging;
using MassTransit;
using EpdBatch.Pipeline.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EpdBatch.Pipeline.Tests.Unit;

/// <summary>The readiness file that compose's health checks test (Epd__Health__File).</summary>
public class HealthFileTests
{
    [Test]
    public async Task File_is_kept_fresh_while_the_bus_is_healthy_and_removed_at_stop()
    {
        var path = Path.Combine(Path.GetTempPath(), TestRun.Name("ready"));
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Epd:Health:File"] = path,
            ["Epd:Health:Interval"] = "00:00:00.100",
        });
        builder.Services.AddEpdMessaging(new EpdConnectionOptions(), bus => bus.AddConsumer<ProbeConsumer, ProbeConsumerDefinition>());
        builder.Services.AddSingleton(new Probe(TestRun.Name("job"), TestRun.Name("health")));
        using var host = builder.Build();

        await host.StartAsync();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!File.Exists(path) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.That(File.Exists(path), Is.True, "the file appears once the bus is up");
        var first = File.GetLastWriteTimeUtc(path);
        await Task.Delay(400);
        Assert.That(File.GetLastWriteTimeUtc(path), Is.GreaterThan(first), "and is touched again each interval");

        await host.StopAsync();
        Assert.That(File.Exists(path), Is.False, "a stopped worker is not ready");
    }

    [Test]
    public async Task No_file_setting_means_no_file_and_no_trouble()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddEpdMessaging(new EpdConnectionOptions(), _ => { });
        using var host = builder.Build();

        await host.StartAsync();
        await host.StopAsync();
    }
}
