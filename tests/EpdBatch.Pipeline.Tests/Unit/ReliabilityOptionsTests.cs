using EpdBatch.Pipeline.Messaging;
using EpdBatch.Pipeline.Reliability;
using Microsoft.Extensions.Configuration;

namespace EpdBatch.Pipeline.Tests.Unit;

public class ReliabilityOptionsTests
{
    [Test]
    public void Defaults_are_valid() => Assert.That(new ReliabilityOptions().GetValidationFailures(), Is.Empty);

    [Test]
    public void Each_bad_value_is_named()
    {
        var failures = new ReliabilityOptions { MaxDeliveries = 0, MaxRecoveries = -1, DeliveryCountTtl = TimeSpan.FromSeconds(5) }.GetValidationFailures();

        Assert.That(failures, Has.Count.EqualTo(3));
        Assert.That(failures, Has.Some.Contains("Epd:Reliability:MaxDeliveries"));
        Assert.That(failures, Has.Some.Contains("Epd:Reliability:MaxRecoveries"));
        Assert.That(failures, Has.Some.Contains("Epd:Reliability:DeliveryCountTtl"));
    }

    [Test]
    public void Configured_retry_intervals_replace_the_default_rather_than_add_to_it()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Epd:Messaging:RetryIntervals:0"] = "00:00:02",
        }).Build();
        var options = new EpdMessagingOptions();
        configuration.GetSection(EpdMessagingOptions.SectionName).Bind(options);

        Assert.That(options.EffectiveRetryIntervals, Is.EqualTo(new[] { TimeSpan.FromSeconds(2) }));
        Assert.That(new EpdMessagingOptions().EffectiveRetryIntervals, Has.Count.EqualTo(4));
    }
}
