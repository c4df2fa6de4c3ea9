using EpdBatch.Planning.Simulation;
using EpdBatch.Planning.Workloads;

namespace EpdBatch.Planning.Tests;

/// <summary>The simulator against cases whose answers follow from queueing arithmetic.</summary>
[TestFixture]
public sealed class SimulatorKnownAnswerTests
{
    private static PipelineConfiguration Config(Layout layout, int encoderBatch = 1, int prefillBatch = 1, int decoderBatch = 8, double wait = 0) =>
        new(layout, new BatchPolicy(encoderBatch, wait), new BatchPolicy(prefillBatch, wait), decoderBatch);

    private static Workload Offline(int items, int outputTokens = 1) =>
        new SyntheticWorkload { Items = items, ImagesPerItem = 1, PromptTokens = 8, OutputTokens = outputTokens }.Build();

    [Test]
    public void A_single_stage_at_fixed_service_time_serves_replicas_over_service_time()
    {
        // Encoding takes 1 s per item on each of 2 replicas; everything else is (almost) free.
        var simulator = new PipelineSimulator(TestProfiles.Constant(encodeSeconds: 1, prefillSeconds: 1e-6, stepSeconds: 1e-6));
        var result = simulator.Run(Config(Layout.Disaggregated(2, 1, 1)), Offline(100));

        Assert.That(result.ItemsPerSecond, Is.EqualTo(2.0).Within(0.1).Percent);
        Assert.That(result.MakespanSeconds, Is.EqualTo(50).Within(0.01));
        // All 100 queue at t = 0; the k-th pair leaves the encoder at k seconds.
        Assert.That(result.Stage(PipelineStage.Encode).PeakQueueLength, Is.EqualTo(100));
        Assert.That(result.Ttft.P50, Is.EqualTo(25).Within(0.01));
        Assert.That(result.Ttft.Max, Is.EqualTo(50).Within(0.01));
        Assert.That(result.Stage(PipelineStage.Encode).BusyShare, Is.EqualTo(1).Within(0.001));
    }

    [Test]
    public void Poisson_arrivals_at_one_deterministic_server_wait_as_the_M_D_1_formula_says()
    {
        // λ = 0.5/s, service 1 s: ρ = 0.5, mean wait ρ / (2μ(1 − ρ)) = 0.5 s, so mean time to first token 1.5 s.
        var simulator = new PipelineSimulator(TestProfiles.Constant(encodeSeconds: 1, prefillSeconds: 1e-9, stepSeconds: 1e-9));
        var workload = new SyntheticWorkload { Items = 20_000, ImagesPerItem = 1, PromptTokens = 8, OutputTokens = 1, RatePerSecond = 0.5, Seed = 3 }.Build();
        var result = simulator.Run(Config(Layout.Disaggregated(1, 1, 1)), workload);

        Assert.That(result.Ttft.Mean, Is.EqualTo(1.5).Within(4).Percent);
        Assert.That(result.SteadyItemsPerSecond, Is.EqualTo(0.5).Within(4).Percent);
        Assert.That(result.Stage(PipelineStage.Encode).BusyShare, Is.EqualTo(0.5).Within(4).Percent);
    }

    [TestCase(1, 2, 0.2, 0.5, 4.0)]   // prefill is slowest: 2 / 0.5 s
    [TestCase(1, 3, 0.25, 0.5, 4.0)]  // encoder is slowest: 1 / 0.25 s
    [TestCase(2, 1, 0.3, 0.1, 6.67)]  // encoders are slowest: 2 / 0.3 s
    public void A_pipeline_runs_at_its_slowest_stage(int encoders, int prefills, double encodeSeconds, double prefillSeconds, double expected)
    {
        var simulator = new PipelineSimulator(TestProfiles.Constant(encodeSeconds, prefillSeconds, stepSeconds: 1e-6));
        var result = simulator.Run(Config(Layout.Disaggregated(encoders, prefills, 1)), Offline(3000, outputTokens: 2));

        Assert.That(result.ItemsPerSecond, Is.EqualTo(expected).Within(1).Percent);
        Assert.That(result.SteadyItemsPerSecond, Is.EqualTo(expected).Within(1).Percent);
    }

    [Test]
    public void Continuous_batching_at_full_occupancy_serves_batch_over_steps_times_step_time()
    {
        // 8 slots, 10 ms a step whatever the batch, 101 output tokens (the first from prefill, 100 decode steps):
        // 8 items per 100 × 10 ms = 8 items/s.
        var simulator = new PipelineSimulator(TestProfiles.Constant(encodeSeconds: 1e-6, prefillSeconds: 1e-6, stepSeconds: 0.010));
        var result = simulator.Run(Config(Layout.Disaggregated(1, 1, 1), decoderBatch: 8), Offline(800, outputTokens: 101));

        Assert.That(result.ItemsPerSecond, Is.EqualTo(8.0).Within(1).Percent);
        Assert.That(result.Stage(PipelineStage.Decode).MeanBatchSize, Is.EqualTo(8.0).Within(1).Percent);
        Assert.That(result.PeakDecoderSequences, Is.EqualTo(8));
    }

    [Test]
    public void A_sequence_joins_a_running_decode_batch_at_the_next_step_not_after_the_batch_drains()
    {
        // One long item starts decoding alone; a second arrives mid-run and must not wait for the first to finish.
        var simulator = new PipelineSimulator(TestProfiles.Constant(encodeSeconds: 1e-6, prefillSeconds: 1e-6, stepSeconds: 0.010));
        var workload = new Workload("two", [new WorkloadItem(0, 0, 0, 8, 1001, 0), new WorkloadItem(0, 0, 0, 8, 11, 0.5)]);
        var result = simulator.Run(Config(Layout.Disaggregated(0, 1, 1)), workload);

        // The second item: 10 decode steps of 10 ms, joining within one step of its prefill.
        Assert.That(result.Latency.P50, Is.InRange(10 * 0.010, 11 * 0.010 + 1e-5));
        Assert.That(result.MakespanSeconds, Is.EqualTo(10.0).Within(0.001));
    }

    [Test]
    public void A_colocated_gpu_time_shares_its_stages()
    {
        // One GPU encodes (0.1 s per item) and prefills (0.2 s per item): 1 / 0.3 s items per second.
        var simulator = new PipelineSimulator(TestProfiles.PerItem(encodeSecondsPerImage: 0.1, prefillSecondsPerItem: 0.2, stepSeconds: 1e-6));
        var result = simulator.Run(Config(Layout.Colocated(1), encoderBatch: 4, prefillBatch: 4), Offline(600));

        Assert.That(result.ItemsPerSecond, Is.EqualTo(1 / 0.3).Within(1).Percent);
        Assert.That(result.Workers[0].EncodeShare, Is.EqualTo(1 / 3.0).Within(1).Percent);
        Assert.That(result.Workers[0].PrefillShare, Is.EqualTo(2 / 3.0).Within(1).Percent);
    }

    [Test]
    public void Decode_on_a_colocated_gpu_stalls_while_it_encodes_and_prefills()
    {
        var profile = TestProfiles.Constant(encodeSeconds: 0.5, prefillSeconds: 0.5, stepSeconds: 0.010);
        var workload = new SyntheticWorkload { Items = 200, ImagesPerItem = 1, PromptTokens = 8, OutputTokens = 51, RatePerSecond = 0.8, Seed = 5 }.Build();
        var simulator = new PipelineSimulator(profile);

        var colocated = simulator.Run(Config(Layout.Colocated(2)), workload);
        var disaggregated = simulator.Run(Config(Layout.Disaggregated(1, 1, 1)), workload);

        Assert.That(disaggregated.Tpot.P95, Is.EqualTo(0.010).Within(1).Percent);
        Assert.That(colocated.Tpot.P95, Is.GreaterThan(0.015));
    }

    [Test]
    public void Transfers_delay_items_but_do_not_occupy_a_gpu()
    {
        var withTransfer = new PipelineSimulator(TestProfiles.Constant(encodeSeconds: 0.1, prefillSeconds: 0.1, stepSeconds: 1e-6, transferSeconds: 0.25));
        var one = new SyntheticWorkload { Items = 1, ImagesPerItem = 1, PromptTokens = 8, OutputTokens = 2 }.Build();
        var result = withTransfer.Run(Config(Layout.Disaggregated(1, 1, 1)), one);

        // encode 0.1 + transfer 0.25 + prefill 0.1; then the KV transfer 0.25 and one step.
        Assert.That(result.Ttft.P50, Is.EqualTo(0.45).Within(1e-6));
        Assert.That(result.Latency.P50, Is.EqualTo(0.70).Within(1e-4));
        Assert.That(result.Stage(PipelineStage.Encode).BusySeconds, Is.EqualTo(0.1).Within(1e-9));
    }

    [Test]
    public void A_partial_batch_waits_its_batch_wait_for_more_items()
    {
        var simulator = new PipelineSimulator(TestProfiles.Constant(encodeSeconds: 0.1, prefillSeconds: 0.1, stepSeconds: 1e-6));
        var one = new SyntheticWorkload { Items = 1, ImagesPerItem = 1, PromptTokens = 8, OutputTokens = 1 }.Build();

        var waiting = simulator.Run(Config(Layout.Disaggregated(1, 1, 1), encoderBatch: 4, prefillBatch: 4, wait: 0.02), one);
        var full = simulator.Run(Config(Layout.Disaggregated(1, 1, 1), encoderBatch: 1, prefillBatch: 1, wait: 0.02), one);

        Assert.That(waiting.Ttft.P50, Is.EqualTo(0.2 + 2 * 0.02).Within(1e-9));
        Assert.That(full.Ttft.P50, Is.EqualTo(0.2).Within(1e-9));
    }

    [Test]
    public void The_same_seed_gives_the_same_result_and_another_seed_another()
    {
        var simulator = new PipelineSimulator(TestProfiles.PerItem(0.05, 0.08, 0.004));
        Workload Online(int seed) => new SyntheticWorkload { Items = 2000, ImagesPerItem = 2, PromptTokens = 20, OutputTokens = 40, RatePerSecond = 12, Seed = seed }.Build();
        var config = Config(Layout.Disaggregated(2, 2, 1), encoderBatch: 4, prefillBatch: 2, decoderBatch: 16, wait: 0.02);

        var first = simulator.Run(config, Online(7));
        var again = simulator.Run(config, Online(7));
        var other = simulator.Run(config, Online(8));

        var arrivals = Online(7).Items.Select(i => i.ArrivalSeconds).ToArray();
        Assert.That(Online(7).Items.Select(i => i.ArrivalSeconds), Is.EqualTo(arrivals));
        Assert.That((again.MakespanSeconds, again.Ttft, again.Tpot, again.Latency), Is.EqualTo((first.MakespanSeconds, first.Ttft, first.Tpot, first.Latency)));
        Assert.That(again.Stages, Is.EqualTo(first.Stages));
        Assert.That(other.Ttft, Is.Not.EqualTo(first.Ttft));
    }

    [TestCase("3E+2P+3D")]
    [TestCase("8×EPD")]
    [TestCase("5×EP+3D")]
    [TestCase("2E+6×PD")]
    public void A_layout_reads_back_what_it_writes(string text)
    {
        Assert.That(Layout.Parse(text).ToString(), Is.EqualTo(text));
        Assert.That(Layout.Parse(text.Replace('×', 'x')), Is.EqualTo(Layout.Parse(text)));
    }

    [Test]
    public void A_layout_without_a_needed_stage_is_refused_with_its_name()
    {
        var simulator = new PipelineSimulator(TestProfiles.Constant(0.1, 0.1, 0.01));
        var error = Assert.Throws<ArgumentException>(() => simulator.Run(Config(Layout.Disaggregated(0, 1, 1)), Offline(10)));
        Assert.That(error!.Message, Does.Contain("encoder"));
    }
}
