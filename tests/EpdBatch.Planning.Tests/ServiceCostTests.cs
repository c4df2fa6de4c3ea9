using EpdBatch.Planning.Profiles;
using EpdBatch.Planning.Simulation;
using EpdBatch.Planning.Workloads;

namespace EpdBatch.Planning.Tests;

/// <summary>
/// The services' own CPU per item (<see cref="ServiceCost"/>) on a shared device: one-thread work beside the
/// forwards, one item at a time per lane (the ingest and stores' lane, and per stage one per replica).
/// </summary>
[TestFixture]
public sealed class ServiceCostTests
{
    private static PipelineConfiguration Config(int encoders) =>
        new(Layout.Disaggregated(encoders, 1, 1), new BatchPolicy(1, 0), new BatchPolicy(1, 0), 8);

    private static Workload Offline(int items) =>
        new SyntheticWorkload { Items = items, ImagesPerItem = 1, PromptTokens = 8, OutputTokens = 2 }.Build();

    private static StageProfile With(StageProfile profile, ServiceCost? cost, int cores = 2) =>
        profile with { SharedDevice = new DeviceSharing(Cores: cores, Threads: 1), ServiceCost = cost };

    [Test]
    public void A_lane_works_through_its_items_one_at_a_time()
    {
        // Forwards cost nothing; each item needs 0.25 s of the ingest-and-stores lane: one lane runs at 4 items/s
        // whatever the cores, since a lane is one thread.
        var profile = TestProfiles.Constant(encodeSeconds: 1e-6, prefillSeconds: 1e-6, stepSeconds: 1e-6);
        var result = new PipelineSimulator(With(profile, new ServiceCost(0, 0, 0, 0.25))).Run(Config(1), Offline(200));

        Assert.That(result.ItemsPerSecond, Is.EqualTo(4.0).Within(1).Percent);
        Assert.That(result.ServiceSeconds, Is.EqualTo(200 * 0.25).Within(0.1).Percent);
    }

    [Test]
    public void Each_encoder_replica_has_its_own_lane()
    {
        // 0.5 s of encoder-side work per item and free forwards: one encoder process does 2 items/s, two do 4 on
        // four cores, and still 4 on two cores (two one-thread lanes fill them).
        var profile = TestProfiles.Constant(encodeSeconds: 1e-6, prefillSeconds: 1e-6, stepSeconds: 1e-6);
        var cost = new ServiceCost(0.5, 0, 0, 0);

        Assert.That(new PipelineSimulator(With(profile, cost, cores: 4)).Run(Config(1), Offline(200)).ItemsPerSecond, Is.EqualTo(2.0).Within(1).Percent);
        Assert.That(new PipelineSimulator(With(profile, cost, cores: 4)).Run(Config(2), Offline(200)).ItemsPerSecond, Is.EqualTo(4.0).Within(1).Percent);
        Assert.That(new PipelineSimulator(With(profile, cost, cores: 2)).Run(Config(2), Offline(200)).ItemsPerSecond, Is.EqualTo(4.0).Within(1).Percent);
    }

    [TestCase(1, 1.0)]
    [TestCase(2, 2.0)]
    public void Service_work_takes_the_cores_the_forwards_run_on(int cores, double expected)
    {
        // 0.5 s of one-thread encode and 0.5 s of encoder-side service work per item. On one core they share it: 1 s of
        // the core per item. On two cores the lane and the encoder each have a core: the pipeline runs at 2 items/s.
        var profile = TestProfiles.Constant(encodeSeconds: 0.5, prefillSeconds: 1e-6, stepSeconds: 1e-6);
        var result = new PipelineSimulator(With(profile, new ServiceCost(0.5, 0, 0, 0), cores)).Run(Config(1), Offline(400));

        Assert.That(result.SteadyItemsPerSecond, Is.EqualTo(expected).Within(1).Percent);
        Assert.That(result.Stage(PipelineStage.Encode).WorkSeconds, Is.EqualTo(400 * 0.5).Within(0.1).Percent);
    }

    [Test]
    public void Saturated_cores_run_at_the_total_cpu_per_item()
    {
        // Two encoders (0.3 s one-thread forwards) and their two lanes (0.3 s of service work per item): four threads
        // always ready on two cores, 0.6 s of CPU per item, so 2 / 0.6 items/s; a device per replica would give 2 / 0.3.
        var profile = TestProfiles.Constant(encodeSeconds: 0.3, prefillSeconds: 1e-6, stepSeconds: 1e-6);
        var result = new PipelineSimulator(With(profile, new ServiceCost(0.3, 0, 0, 0))).Run(Config(2), Offline(2000));

        Assert.That(result.SteadyItemsPerSecond, Is.EqualTo(2 / 0.6).Within(1).Percent);
    }

    [Test]
    public void Work_ahead_of_the_slowest_stage_takes_its_share_of_the_cores()
    {
        // Encode 0.3 s, prefill 0.2 s and 0.1 s in each lane: 0.9 s of CPU per item, so at most 2 / 0.9 items/s.
        // The threads share the cores evenly, as the scheduler does: the lanes ahead of the slowest chain keep
        // taking their share while they have work, so the rate stays a little under that bound.
        var profile = TestProfiles.Constant(encodeSeconds: 0.3, prefillSeconds: 0.2, stepSeconds: 1e-6);
        var result = new PipelineSimulator(With(profile, new ServiceCost(0.1, 0.1, 0.1, 0.1))).Run(Config(2), Offline(2000));

        Assert.That(result.ItemsPerSecond, Is.LessThanOrEqualTo(2 / 0.9));
        Assert.That(result.ItemsPerSecond, Is.GreaterThan(0.85 * 2 / 0.9));
    }

    [Test]
    public void Service_cost_counts_only_on_a_shared_device()
    {
        var profile = TestProfiles.Constant(encodeSeconds: 0.5, prefillSeconds: 1e-6, stepSeconds: 1e-6);
        var withCost = With(profile, new ServiceCost(1, 1, 1, 1));
        var separate = new PipelineSimulator(withCost, shareDevice: false).Run(Config(1), Offline(100));
        var without = new PipelineSimulator(With(profile, null)).Run(Config(1), Offline(100));

        Assert.That(separate.ItemsPerSecond, Is.EqualTo(2.0).Within(1).Percent);
        Assert.That(separate.ServiceSeconds, Is.Zero);
        Assert.That(without.ItemsPerSecond, Is.EqualTo(2.0).Within(1).Percent);
    }

    [Test]
    public void The_service_cost_survives_a_json_round_trip_and_bad_values_are_refused()
    {
        var profile = With(TestProfiles.Constant(encodeSeconds: 1, prefillSeconds: 1, stepSeconds: 1), new ServiceCost(0.1, 0.02, 0.03, 0.04) { Source = "calibrated" });
        var back = StageProfile.FromJson(profile.ToJson());

        Assert.That(back.ServiceCost, Is.EqualTo(profile.ServiceCost));
        Assert.That(back.ServiceCost!.TotalSeconds, Is.EqualTo(0.19).Within(1e-12));
        var bad = profile with { ServiceCost = new ServiceCost(-0.1, 0, 0, 0) };
        Assert.That(() => StageProfile.FromJson(bad.ToJson()), Throws.TypeOf<InvalidDataException>().With.Message.Contains("serviceCost"));
    }
}
