using EpdBatch.Contracts;
using EpdBatch.Pipeline.Messaging;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EpdBatch.Pipeline.Tests.Support;

/// <summary>What the bus from AddEpdMessaging must do on either transport.</summary>
public abstract class MessagingContract
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(30);

    private IHost _host = null!;

    protected Probe Probe { get; private set; } = null!;

    protected abstract EpdConnectionOptions Connections { get; }

    [SetUp]
    public async Task StartBus()
    {
        Probe = new Probe(TestRun.Name("job"), TestRun.Name("epd-test"));
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton(Probe);
        builder.Services.Configure<EpdMessagingOptions>(o =>
        {
            o.RetryIntervals = [TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(20)];
            o.StartTimeout = TimeSpan.FromSeconds(30);
        });
        builder.Services.AddEpdMessaging(Connections, bus =>
        {
            bus.AddConsumer<ProbeConsumer, ProbeConsumerDefinition>();
            bus.AddConsumer<FaultProbeConsumer, FaultProbeConsumerDefinition>();
        });
        _host = builder.Build();
        await _host.StartAsync();
    }

    [TearDown]
    public async Task StopBus()
    {
        await _host.StopAsync();
        _host.Dispose();
        await CleanUpAsync();
    }

    /// <summary>Removes what the transport keeps after the bus stops (the broker's error queues).</summary>
    protected virtual Task CleanUpAsync() => Task.CompletedTask;

    protected IBus Bus => _host.Services.GetRequiredService<IBus>();

    [Test]
    public async Task Published_encode_item_arrives_whole_and_small()
    {
        var sent = SampleMessages.Encode(Probe.JobId);

        await Bus.Publish(sent);
        var (received, bodyBytes) = await Probe.Encode.Task.WaitAsync(s_wait);

        Assert.That(received with { Media = sent.Media, EnqueuedAt = sent.EnqueuedAt }, Is.EqualTo(sent));
        Assert.That(received.Media, Is.EqualTo(sent.Media));
        Assert.That(received.EnqueuedAt, Is.EqualTo(sent.EnqueuedAt).Within(TimeSpan.FromMilliseconds(1)));
        Assert.That(bodyBytes, Is.GreaterThan(0).And.LessThan(16 * 1024), "the whole envelope on the wire");
        TestContext.Out.WriteLine($"EncodeItem with 8 media and a {sent.Prompt.Length}-char prompt: {bodyBytes} bytes on the wire");
    }

    [Test]
    public async Task Published_decode_item_arrives_with_its_timings_and_small()
    {
        var sent = SampleMessages.Decode(Probe.JobId, 3);

        await Bus.Publish(sent);
        var (received, bodyBytes) = await Probe.Decode.Task.WaitAsync(s_wait);

        Assert.That(received with { EnqueuedAt = sent.EnqueuedAt }, Is.EqualTo(sent));
        Assert.That(received.Timings.GetTotalBusyMs(), Is.EqualTo(80.25 + 250.75));
        Assert.That(bodyBytes, Is.GreaterThan(0).And.LessThan(16 * 1024));
        TestContext.Out.WriteLine($"DecodeItem: {bodyBytes} bytes on the wire");
    }

    [Test]
    public async Task Transient_failures_are_retried_until_they_pass()
    {
        await Bus.Publish(SampleMessages.Encode(Probe.JobId, customId: "transient-2"));

        var (received, _) = await Probe.Encode.Task.WaitAsync(s_wait);

        Assert.That(received.CustomId, Is.EqualTo("transient-2"));
        Assert.That(Probe.Attempts["transient-2"], Is.EqualTo(3));
    }

    [Test]
    public async Task Permanent_failures_fault_at_once_without_retry()
    {
        await Bus.Publish(SampleMessages.Encode(Probe.JobId, customId: "permanent"));

        var fault = await Probe.FaultOf("permanent").Task.WaitAsync(s_wait);

        Assert.That(Probe.Attempts["permanent"], Is.EqualTo(1));
        Assert.That(fault.Exceptions.Single().ExceptionType, Does.Contain(nameof(PermanentItemException)));
    }

    [Test]
    public async Task Transient_failures_that_outlast_the_retries_fault()
    {
        await Bus.Publish(SampleMessages.Encode(Probe.JobId, customId: "transient-100"));

        await Probe.FaultOf("transient-100").Task.WaitAsync(s_wait);

        Assert.That(Probe.Attempts["transient-100"], Is.EqualTo(4), "one try and three retries");
    }
}
