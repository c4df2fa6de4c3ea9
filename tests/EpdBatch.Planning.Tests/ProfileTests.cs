using EpdBatch.Planning.Profiles;

namespace EpdBatch.Planning.Tests;

[TestFixture]
public sealed class ProfileTests
{
    [Test]
    public void A_profile_survives_a_json_round_trip()
    {
        var profile = AnalyticProfile.Create(AnalyticProfile.InternVl2LikeOnH100) with { CreatedAt = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero) };
        var path = Path.Combine(Path.GetTempPath(), $"epd-profile-{Guid.NewGuid():N}.json");
        try
        {
            profile.Save(path);
            var loaded = StageProfile.Load(path);

            Assert.That(loaded.ToJson(), Is.EqualTo(profile.ToJson()));
            Assert.That(loaded with { Encoder = profile.Encoder, Prefill = profile.Prefill, DecodeStep = profile.DecodeStep, Transfer = profile.Transfer }, Is.EqualTo(profile));
            var (a, b) = (new StageCostModel(profile), new StageCostModel(loaded));
            Assert.That(b.EncodeSeconds(37), Is.EqualTo(a.EncodeSeconds(37)));
            Assert.That(b.PrefillSeconds(3, 5000), Is.EqualTo(a.PrefillSeconds(3, 5000)));
            Assert.That(b.DecodeStepSeconds(100, 7000), Is.EqualTo(a.DecodeStepSeconds(100, 7000)));
            Assert.That(b.TransferSeconds(123_456_789), Is.EqualTo(a.TransferSeconds(123_456_789)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void A_profile_from_another_machine_loads_from_its_json()
    {
        const string json = """
            {
              "schemaVersion": 1, "source": "measured", "device": "cuda:0 NVIDIA H100 80GB HBM3", "model": "llava-onevision-qwen2-7b-ov-hf",
              "imageSize": 384, "tiling": "tiles", "tokensPerImage": 729, "contextLength": 32768,
              "kvBytesPerToken": 57344, "multimodalBytesPerToken": 7168,
              "encoder": { "sizes": [1, 8], "seconds": [0.012, 0.06] },
              "prefill": { "batches": [1, 4], "lengths": [1024, 4096], "seconds": [[0.05, 0.2], [0.2, 0.8]] },
              "decodeStep": { "batches": [1, 64], "lengths": [1024, 8192], "seconds": [[0.012, 0.013], [0.02, 0.04]] },
              "transfer": { "sizes": [1000, 100000000], "seconds": [0.0005, 0.02] },
              "memory": { "deviceBytes": 80000000000, "visionWeightBytes": 800000000, "languageWeightBytes": 15200000000, "encoderActivationBytesPerImage": 20000000, "prefillActivationBytesPerToken": 100000 }
            }
            """;
        var profile = StageProfile.FromJson(json);
        var cost = new StageCostModel(profile);

        Assert.That(profile.Tiling, Is.EqualTo(ImageTiling.Tiles));
        Assert.That(profile.TilesPerImage(1000), Is.EqualTo(3 * 3 + 1));
        Assert.That(profile.Memory.IsKnown, Is.True);
        Assert.That(cost.PrefillSeconds(2, 2048), Is.EqualTo(0.05 + (0.2 - 0.05) / 3 + (0.2 - 0.05) / 3 + (0.8 - 0.2 - 0.2 + 0.05) / 9).Within(1e-12));
    }

    [TestCase("{}")]
    [TestCase("not json")]
    [TestCase("""{ "schemaVersion": 2, "source": "x", "device": "x", "model": "x", "imageSize": 1, "tokensPerImage": 1, "kvBytesPerToken": 1, "multimodalBytesPerToken": 1, "encoder": { "sizes": [1], "seconds": [1] }, "prefill": { "batches": [1], "lengths": [1], "seconds": [[1]] }, "decodeStep": { "batches": [1], "lengths": [1], "seconds": [[1]] }, "transfer": { "sizes": [1], "seconds": [1] } }""")]
    [TestCase("""{ "source": "x", "device": "x", "model": "x", "imageSize": 1, "tokensPerImage": 1, "kvBytesPerToken": 1, "multimodalBytesPerToken": 1, "encoder": { "sizes": [2, 1], "seconds": [1, 1] }, "prefill": { "batches": [1], "lengths": [1], "seconds": [[1]] }, "decodeStep": { "batches": [1], "lengths": [1], "seconds": [[1]] }, "transfer": { "sizes": [1], "seconds": [1] } }""")]
    public void A_broken_profile_is_refused_in_one_line(string json)
    {
        var error = Assert.Throws<InvalidDataException>(() => StageProfile.FromJson(json));
        Assert.That(error!.Message, Does.StartWith("profile:"));
        Assert.That(error.Message, Does.Not.Contain("\n"));
    }

    [Test]
    public void Costs_interpolate_between_points_never_fall_with_size_and_extend_the_last_segment()
    {
        var profile = TestProfiles.Constant(0, 0, 0) with
        {
            // A noisy measurement at 4 (lower than at 2) must not make 4 look cheaper than 2.
            Encoder = new CostSeries([1, 2, 4, 8], [1.0, 1.5, 1.4, 3.0]),
        };
        var cost = new StageCostModel(profile);

        Assert.That(cost.EncodeSeconds(0), Is.Zero);
        Assert.That(cost.EncodeSeconds(1), Is.EqualTo(1.0));
        Assert.That(cost.EncodeSeconds(3), Is.EqualTo(1.5));
        Assert.That(cost.EncodeSeconds(6), Is.EqualTo(1.5 + 0.5 * 1.5).Within(1e-12));
        Assert.That(cost.EncodeSeconds(16), Is.EqualTo(3.0 + 8 * (1.5 / 4)).Within(1e-12));
    }

    [Test]
    public void A_run_of_decode_steps_sums_exactly_what_the_steps_cost_one_by_one()
    {
        var cost = new StageCostModel(AnalyticProfile.Create(AnalyticProfile.OnevisionLikeOnH100));
        foreach (var (batch, first, steps) in new[] { (1, 100, 50), (37, 1000, 3000), (200, 30000, 5000), (64, 127, 2) })
        {
            var oneByOne = Enumerable.Range(0, steps).Sum(s => cost.DecodeStepSeconds(batch, first + s));
            Assert.That(cost.DecodeStepsSeconds(batch, first, steps), Is.EqualTo(oneByOne).Within(1e-9 * oneByOne), $"batch {batch} from {first}");

            var half = oneByOne / 2;
            var reached = cost.DecodeStepsLasting(batch, first, steps, half, out var elapsed);
            var before = Enumerable.Range(0, reached - 1).Sum(s => cost.DecodeStepSeconds(batch, first + s));
            Assert.That(elapsed, Is.GreaterThanOrEqualTo(half - 1e-12));
            Assert.That(before, Is.LessThan(half));
        }
    }

    [Test]
    public void The_analytic_profile_follows_the_roofline()
    {
        var spec = AnalyticProfile.InternVl2LikeOnH100;
        var cost = new StageCostModel(AnalyticProfile.Create(spec));

        // One decode step at batch 1 reads the weights once: ≈ 39.8 GB at 70% of 3.35 TB/s, plus the overhead.
        Assert.That(cost.DecodeStepSeconds(1, 128), Is.EqualTo(spec.ForwardOverheadSeconds + 39.8e9 / (0.7 * 3.35e12)).Within(2).Percent);
        // Encoding is compute-bound: twice as many tiles, about twice the time.
        Assert.That(cost.EncodeSeconds(64) / cost.EncodeSeconds(32), Is.EqualTo(2).Within(5).Percent);
    }
}
