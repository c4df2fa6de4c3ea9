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

    [Test]
    public void A_recovered_attempt_has_keys_of_its_own_that_no_chunk_key_of_another_attempt_matches()
    {
        Assert.That(StoreKeys.Multimodal("job-1", 12, 0, attempt: 0), Is.EqualTo("mm:job-1:12:0"));
        Assert.That(StoreKeys.Multimodal("job-1", 12, 0, attempt: 2), Is.EqualTo("mm:job-1:12.2:0"));
        Assert.That(StoreKeys.Kv("job-1", 12, attempt: 1), Is.EqualTo("kv:job-1:12.1"));
        // Chunks live at <key>:<n>: chunk 0 of media 1 of attempt 0 must not be media 0 of attempt 1.
        Assert.That(StoreKeys.Multimodal("job-1", 12, 1) + ":0", Is.Not.EqualTo(StoreKeys.Multimodal("job-1", 12, 0, attempt: 1)));
        Assert.That(StoreKeys.Kv("job-1", 12, attempt: 3), Does.Match("^kv:job-1:[^:]+$"), "still under the job's pattern, one segment");
    }

    [TestCase("a:b")]
    [TestCase("a*")]
    [TestCase("a b")]
    [TestCase("")]
    public void Job_ids_that_would_break_the_scheme_are_refused(string jobId) =>
        Assert.Throws(Is.InstanceOf<ArgumentException>(), () => StoreKeys.Kv(jobId, 0));

    [Test]
    public void Negative_indices_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => StoreKeys.Multimodal("job", 0, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => StoreKeys.Kv("job", 0, attempt: -1));
    }
}
