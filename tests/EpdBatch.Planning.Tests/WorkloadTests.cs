using EpdBatch.Planning.Workloads;

namespace EpdBatch.Planning.Tests;

[TestFixture]
public sealed class WorkloadTests
{
    [Test]
    public void A_manifest_becomes_one_item_per_line_with_prompts_estimated_at_four_characters_a_token()
    {
        var path = Path.Combine(Path.GetTempPath(), $"epd-manifest-{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(path,
        [
            """{"custom_id": "a", "prompt": "Describe these two pictures in detail.", "images": ["x/1.jpg", "x/2.jpg"], "max_tokens": 128}""",
            "",
            """{"custom_id": "b", "prompt": "What happens?", "video": "v/1.mp4"}""",
        ]);
        try
        {
            var workload = new ManifestWorkload { ImageSize = 672, VideoFrames = 16, DefaultMaxTokens = 50 }.Load(path);

            Assert.That(workload.Items, Has.Count.EqualTo(2));
            Assert.That(workload.Items[0], Is.EqualTo(new WorkloadItem(2, 672, 0, 10, 128)));
            Assert.That(workload.Items[1], Is.EqualTo(new WorkloadItem(0, 672, 16, 4, 50)));
            Assert.That(workload.IsOnline, Is.False);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void An_openai_batch_manifest_counts_its_image_and_video_parts()
    {
        var path = Path.Combine(Path.GetTempPath(), $"epd-manifest-{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(path,
        [
            """{"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "m", "max_tokens": 40, "messages": [{"role": "user", "content": [{"type": "text", "text": "Compare the two images."}, {"type": "image_url", "image_url": {"url": "az://in/1.png"}}, {"type": "image_url", "image_url": {"url": "az://in/2.png"}}]}]}}""",
            """{"custom_id": "b", "body": {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": [{"type": "video_url", "video_url": {"url": "az://in/v.mp4"}}]}]}}""",
        ]);
        try
        {
            var workload = new ManifestWorkload().Load(path);

            Assert.That(workload.Items[0], Is.EqualTo(new WorkloadItem(2, 0, 0, 6, 40)));
            Assert.That(workload.Items[1], Is.EqualTo(new WorkloadItem(0, 0, 8, 3, 256)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void A_bad_manifest_line_is_named()
    {
        var path = Path.Combine(Path.GetTempPath(), $"epd-manifest-{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(path, ["""{"custom_id": "a", "prompt": "x", "max_tokens": 0}"""]);
        try
        {
            var error = Assert.Throws<InvalidDataException>(() => new ManifestWorkload().Load(path));
            Assert.That(error!.Message, Does.Contain(":1:").And.Contain("max_tokens"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Poisson_arrivals_come_at_the_rate_asked_for()
    {
        var workload = new SyntheticWorkload { Items = 20_000, RatePerSecond = 8, Seed = 11 }.Build();
        var last = workload.Items[^1].ArrivalSeconds;

        Assert.That(workload.IsOnline, Is.True);
        Assert.That(workload.Items.Count / last, Is.EqualTo(8).Within(3).Percent);
        Assert.That(workload.Items.Select(i => i.ArrivalSeconds), Is.Ordered);
    }

    [Test]
    public void A_sample_keeps_the_arrival_rate()
    {
        var workload = new SyntheticWorkload { Items = 10_000, RatePerSecond = 5, Seed = 2 }.Build();
        var sample = workload.Sample(1000);

        Assert.That(sample.Items, Has.Count.EqualTo(1000));
        Assert.That(1000 / sample.Items[^1].ArrivalSeconds, Is.EqualTo(5).Within(5).Percent);
    }
}
