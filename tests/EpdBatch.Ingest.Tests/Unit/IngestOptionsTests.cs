using EpdBatch.Pipeline;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EpdBatch.Ingest.Tests.Unit;

/// <summary>A misconfigured ingest fails at start with the setting's name.</summary>
public class IngestOptionsTests
{
    [Test]
    public void Defaults_are_valid() => Assert.That(new IngestOptions().GetValidationFailures(), Is.Empty);

    [Test]
    public void Each_bad_setting_is_named()
    {
        var options = new IngestOptions
        {
            MaxLineBytes = 10,
            MaxImagesPerItem = -1,
            MaxVideoFrames = 0,
            DefaultMaxTokens = 10_000,
            JobQueue = "has space",
            EncodeQueue = "",
            KeyPrefix = "a{b}",
            PollInterval = TimeSpan.FromSeconds(10),
            LeaseDuration = TimeSpan.FromSeconds(5),
            CancelGracePeriod = TimeSpan.FromSeconds(-1),
            MaxInFlight = 0,
        };

        var failures = options.GetValidationFailures();

        foreach (var name in new[] { "MaxLineBytes", "MaxImagesPerItem", "MaxVideoFrames", "DefaultMaxTokens", "JobQueue", "EncodeQueue", "KeyPrefix", "LeaseDuration", "CancelGracePeriod", "MaxInFlight" })
        {
            Assert.That(failures, Has.Some.Contains($"Epd:Ingest:{name}"), name);
        }
    }

    [TestCase(null, null, 32)]
    [TestCase(null, "12", 12)]
    [TestCase("20", "12", 20)]
    public void The_video_frame_cap_is_the_encoders_unless_the_ingest_has_its_own(string? ingest, string? video, int expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Epd:Ingest:MaxVideoFrames"] = ingest,
            ["Epd:Video:MaxFrames"] = video,
        }.Where(p => p.Value is not null)).Build();
        using var services = new ServiceCollection().AddLogging().AddIngestClient(configuration, new EpdConnectionOptions()).BuildServiceProvider();

        Assert.That(services.GetRequiredService<IOptions<IngestOptions>>().Value.MaxVideoFrames, Is.EqualTo(expected));
    }
}
