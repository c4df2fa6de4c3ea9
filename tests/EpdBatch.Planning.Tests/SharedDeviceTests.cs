using EpdBatch.Planning.Profiles;
using EpdBatch.Planning.Simulation;
using EpdBatch.Planning.Workloads;

namespace EpdBatch.Planning.Tests;

/// <summary>
/// Replicas that share one device (stage processes on one CPU machine): forwards that run at the same time slow
/// each other once they ask for more threads than the cores, so extra replicas add no capacity and the pipeline runs at the
/// device's total work per item, not at its slowest stage.
/// </summary>
[TestFixture]
public sealed class SharedDeviceTests
{
    private static PipelineConfiguration Config(int encoders, int decoderBatch = 8) =>
        new(Layout.Disaggregated(encoders, 1, 1), new BatchPolicy(1, 0), new BatchPolicy(1, 0), decoderBatch);

    private static Workload Offline(int items, int outputTokens = 1) =>
        new SyntheticWorkload { Items = items, ImagesPerItem = 1, PromptTokens = 8, OutputTokens = outputTokens }.Build();

    private static StageProfile Shared(StageProfile profile, int threads = 2) =>
        profile with { SharedDevice = new DeviceSharing(Cores: 2, Threads: threads) };

    [Test]
    public void Two_encoders_on_a_shared_device_encode_no_faster_than_one()
    {
        // 1 s per encode, everything else free: on separate devices two encoders double the rate; on two cores that
        // one 2-thread forward fills, two at once each run at half speed, so the rate stays 1 item/s.
        var profile = TestProfiles.Constant(encodeSeconds: 1, prefillSeconds: 1e-6, stepSeconds: 1e-6);
        var separate = new PipelineSimulator(profile).Run(Config(2), Offline(100));
        var shared = new PipelineSimulator(Shared(profile)).Run(Config(2), Offline(100));
        var one = new PipelineSimulator(Shared(profile)).Run(Config(1), Offline(100));

        Assert.That(separate.ItemsPerSecond, Is.EqualTo(2.0).Within(0.5).Percent);
        Assert.That(shared.ItemsPerSecond, Is.EqualTo(1.0).Within(0.5).Percent);
        Assert.That(one.ItemsPerSecond, Is.EqualTo(1.0).Within(0.5).Percent);
        Assert.That(shared.SharedDevice && !separate.SharedDevice, Is.True);
        // Each encoder was busy the whole time, at half speed.
        Assert.That(shared.Stage(PipelineStage.Encode).GpuEquivalents, Is.EqualTo(2.0).Within(1).Percent);
    }

    [Test]
    public void A_pipeline_on_a_shared_device_runs_at_the_sum_of_its_stages_work()
    {
        // Encode 0.3 s, prefill 0.2 s per item: on separate devices the encoder bounds it (3.33/s); on a shared device
        // with perfect sharing every item costs 0.5 s of the device (2/s).
        var profile = TestProfiles.Constant(encodeSeconds: 0.3, prefillSeconds: 0.2, stepSeconds: 1e-6);
        var separate = new PipelineSimulator(profile).Run(Config(1), Offline(2000, outputTokens: 2));
        var shared = new PipelineSimulator(Shared(profile)).Run(Config(1), Offline(2000, outputTokens: 2));

        Assert.That(separate.SteadyItemsPerSecond, Is.EqualTo(1 / 0.3).Within(1).Percent);
        Assert.That(shared.SteadyItemsPerSecond, Is.EqualTo(1 / 0.5).Within(1).Percent);
    }

    [TestCase(1, 1.0)]
    [TestCase(2, 2.0)]
    [TestCase(3, 2.0)]
    [TestCase(4, 2.0)]
    public void One_thread_forwards_add_capacity_until_the_cores_are_full(int encoders, double expected)
    {
        // 1-thread forwards on 2 cores: a second encoder runs beside the first at full speed, a third and fourth share.
        var profile = TestProfiles.Constant(encodeSeconds: 1, prefillSeconds: 1e-6, stepSeconds: 1e-6);
        var result = new PipelineSimulator(Shared(profile, threads: 1)).Run(Config(encoders), Offline(240));

        Assert.That(result.ItemsPerSecond, Is.EqualTo(expected).Within(1).Percent);
    }

    [Test]
    public void A_decode_run_slowed_by_a_neighbour_still_admits_arrivals_at_its_step_boundaries()
    {
        // Decode steps of 10 ms share two cores with 0.1 s encodes, both with 2 threads: while both run, steps take
        // 20 ms. 8 slots, 51 output tokens: every item decodes and the run ends; the rate sits between the
        // perfectly shared bound (sum of work) and the separate-device bound.
        var profile = TestProfiles.Constant(encodeSeconds: 0.1, prefillSeconds: 1e-6, stepSeconds: 0.010);
        var shared = new PipelineSimulator(Shared(profile)).Run(Config(1), Offline(200, outputTokens: 51));
        var separate = new PipelineSimulator(profile).Run(Config(1), Offline(200, outputTokens: 51));

        Assert.That(shared.Items, Is.EqualTo(200));
        Assert.That(shared.ItemsPerSecond, Is.LessThan(separate.ItemsPerSecond));
        // Work per item: 0.1 s encode + 50 steps × 10 ms shared by up to 8 items (≥ 62.5 ms): at most 1 / 0.1625 items/s.
        Assert.That(shared.ItemsPerSecond, Is.LessThanOrEqualTo(1 / 0.1625 * 1.01));
        Assert.That(shared.PeakDecoderSequences, Is.LessThanOrEqualTo(8));
    }

    [Test]
    public void A_profile_without_the_measurement_cannot_be_simulated_as_shared()
    {
        var profile = TestProfiles.Constant(encodeSeconds: 1, prefillSeconds: 1, stepSeconds: 1);
        Assert.That(() => new PipelineSimulator(profile, shareDevice: true), Throws.ArgumentException.With.Message.Contains("shared-device"));
        Assert.That(new PipelineSimulator(Shared(profile), shareDevice: false).Sharing, Is.Null);
    }

    [Test]
    public void The_shared_device_survives_a_json_round_trip_and_bad_values_are_refused()
    {
        var profile = Shared(TestProfiles.Constant(1, 1, 1), threads: 3);
        Assert.That(StageProfile.FromJson(profile.ToJson()).SharedDevice, Is.EqualTo(profile.SharedDevice));
        // More threads than cores: a forward alone already had every core, so two at once run at half speed.
        Assert.That(profile.SharedDevice!.Rate(1), Is.EqualTo(1));
        Assert.That(profile.SharedDevice!.Rate(2), Is.EqualTo(0.5));
        var bad = profile with { SharedDevice = new DeviceSharing(0, 2) };
        Assert.That(() => StageProfile.FromJson(bad.ToJson()), Throws.TypeOf<InvalidDataException>().With.Message.Contains("sharedDevice"));
    }
}
