using EpdBatch.Pipeline.Storage;

namespace EpdBatch.Pipeline.Tests.Unit;

public class StoreKeysTests
{
    [Test]
    public void Keys_follow_the_documented_scheme()
    {
        Assert.That(StoreKeys.Multimodal("job-1", 12, 3), Is.EqualTo("mm:job-1:12:3"));
        Assert.That(StoreKeys.Kv("job-1", 12), Is.EqualTo("kv:job-1:12"));
        Assert.That(StoreKeys.MediaCache("sha256-abcdef:336"), Is.EqualTo("mmc:sha256-abcdef:336"));
        Assert.That(StoreKeys.MultimodalPattern("job-1"), Is.EqualTo("mm:job-1:*"));
        Assert.That(StoreKeys.KvPattern("job-1"), Is.EqualTo("kv:job-1:*"));
    }

    [TestCase("a:b")]
    [TestCase("a*")]
    [TestCase("a b")]
    [TestCase("")]
    public void Job_ids_that_would_break_the_scheme_are_refused(string jobId) =>
        Assert.Throws(Is.InstanceOf<ArgumentException>(), () => StoreKeys.Kv(jobId, 0));

    [Test]
    public void Negative_indices_are_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => StoreKeys.Multimodal("job", 0, -1));
}
