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

        foreach (var name in new[] { "MaxLineBytes", "MaxImagesPerItem", "DefaultMaxTokens", "JobQueue", "EncodeQueue", "KeyPrefix", "LeaseDuration", "CancelGracePeriod", "MaxInFlight" })
        {
            Assert.That(failures, Has.Some.Contains($"Epd:Ingest:{name}"), name);
        }
    }
}
