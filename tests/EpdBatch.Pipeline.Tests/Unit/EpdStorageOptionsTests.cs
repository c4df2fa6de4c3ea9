using EpdBatch.Pipeline.Storage;

namespace EpdBatch.Pipeline.Tests.Unit;

public class EpdStorageOptionsTests
{
    [Test]
    public void Defaults_are_valid() => Assert.That(new EpdStorageOptions().GetValidationFailures(), Is.Empty);

    [TestCase(1023)]
    [TestCase(256 * 1024 * 1024 + 1)]
    public void A_block_size_out_of_range_is_refused_by_name(int bytes) =>
        Assert.That(new EpdStorageOptions { BlobBlockSizeBytes = bytes }.GetValidationFailures(), Has.One.Contains("Epd:Storage:BlobBlockSizeBytes"));
}
