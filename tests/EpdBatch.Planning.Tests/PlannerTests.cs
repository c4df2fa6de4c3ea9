using System.Diagnostics;
using EpdBatch.Planning.Profiles;
using EpdBatch.Planning.Reporting;
using EpdBatch.Planning.Search;
using EpdBatch.Planning.Simulation;
using EpdBatch.Planning.Workloads;

namespace EpdBatch.Planning.Tests;

/// <summary>
/// The planner on the EPD paper's kind of setting: an InternVL2-26B-shaped model (a 6B vision encoder, 20B
/// language model) on H100s, from the roofline profile. Encoder-heavy: four 896-px images (20 tiles) per item
/// and short answers. Text-heavy: one small image and long answers.
/// </summary>
[TestFixture]
public sealed class PlannerTests
{
    private static readonly StageProfile s_profile = AnalyticProfile.Create(AnalyticProfile.InternVl2LikeOnH100);

    private static Workload EncoderHeavy(double? rate = null) =>
        new SyntheticWorkload { Items = 1000, ImagesPerItem = 4, ImageSize = 896, PromptTokens = 64, OutputTokens = 32, RatePerSecond = rate }.Build();

    private static Workload TextHeavy() =>
        new SyntheticWorkload { Items = 1000, ImagesPerItem = 1, ImageSize = 448, PromptTokens = 64, OutputTokens = 512 }.Build();

    private static (int E, int P, int D) Split(PipelineConfiguration config) =>
        (config.Layout.WorkersFor(PipelineStage.Encode), config.Layout.WorkersFor(PipelineStage.Prefill), config.Layout.WorkersFor(PipelineStage.Decode));

    [Test]
    public void An_encoder_heavy_workload_gets_most_gpus_on_encoders_and_a_text_heavy_one_on_decoders()
    {
        var heavy = Planner.Search(8, EncoderHeavy(), s_profile, PlannerObjective.Throughput());
        var text = Planner.Search(8, TextHeavy(), s_profile, PlannerObjective.Throughput());
        TestContext.Out.WriteLine(PlanReport.FormatSearch(heavy));
        TestContext.Out.WriteLine(PlanReport.FormatSearch(text));

        var (he, hp, hd) = Split(heavy.BestDisaggregated.Configuration);
        var (te, tp, td) = Split(text.BestDisaggregated.Configuration);
        Assert.That(he, Is.GreaterThanOrEqualTo(hp).And.GreaterThan(hd), "encoder-heavy: encoders get the most GPUs");
        Assert.That(td, Is.GreaterThan(te).And.GreaterThan(tp), "text-heavy: decoders get the most GPUs");
        Assert.That(he, Is.GreaterThan(te), "fewer encoders for the text-heavy workload");
        Assert.That(td, Is.GreaterThan(hd), "more decoders for the text-heavy workload");
    }

    [Test]
    public void Online_encoder_heavy_disaggregation_beats_monolithic_serving_on_goodput()
    {
        // Monolithic: every GPU encodes, prefills and decodes. Its decoders stall behind each new item's ~1 s of
        // encode and prefill, so answers miss a 50 ms TPOT target; dedicated decoders never stall.
        var objective = PlannerObjective.Goodput(new ServiceTargets(TtftSeconds: 3, TpotSeconds: 0.050));
        var plan = Planner.Search(8, EncoderHeavy(rate: 6), s_profile, objective, new SearchOptions { Colocated = ColocatedFamilies.Monolithic });
        TestContext.Out.WriteLine(PlanReport.FormatSearch(plan));

        var best = plan.BestDisaggregated;
        var monolithic = plan.BestColocated!;
        Assert.That(best.Goodput, Is.GreaterThan(1.5 * monolithic.Goodput));
        Assert.That(best.Result.Tpot.P95, Is.LessThan(0.050));
        Assert.That(monolithic.Result.Tpot.P95, Is.GreaterThan(0.050));
        // The encoders get more GPUs than encoding occupies in the monolithic layout (spare encoder capacity keeps TTFT short).
        var (e, _, _) = Split(best.Configuration);
        Assert.That(e, Is.GreaterThan(monolithic.Result.Stage(PipelineStage.Encode).GpuEquivalents));
        Assert.That(plan.Recommended, Is.EqualTo(best.Configuration));
    }

    [Test]
    public void Offline_and_encoder_heavy_a_time_shared_gpu_spends_what_dedicated_stages_spend_without_rounding_to_whole_gpus()
    {
        // Why the best colocated layout out-runs every E/P/D split here (docs/planner.md): encode (20 tiles an item)
        // and prefill (5,184 tokens) are compute-bound, so the colocated GPU's smaller, memory-limited batches cost it
        // no GPU time per item, and its decode batches stay full offline. What remains is the rounding: a split gives
        // decode a whole GPU and encode + prefill only 7.
        var simulator = new PipelineSimulator(s_profile);
        var colocated = simulator.Run(new PipelineConfiguration(Layout.Colocated(8), new BatchPolicy(2, 0.02), new BatchPolicy(1, 0.02), 25), EncoderHeavy());
        var split = simulator.Run(new PipelineConfiguration(Layout.Disaggregated(4, 3, 1), new BatchPolicy(1, 0.02), new BatchPolicy(2, 0.02), 8), EncoderHeavy());
        static double PerItem(SimulationResult r, PipelineStage stage) => r.Stage(stage).GpuEquivalents * r.MakespanSeconds / r.Items;

        Assert.That(PerItem(colocated, PipelineStage.Encode), Is.EqualTo(PerItem(split, PipelineStage.Encode)).Within(2).Percent);
        Assert.That(PerItem(colocated, PipelineStage.Prefill), Is.EqualTo(PerItem(split, PipelineStage.Prefill)).Within(2).Percent);
        Assert.That(colocated.Stage(PipelineStage.Decode).MeanBatchSize, Is.EqualTo(25).Within(1).Percent);
        var perItem = PerItem(colocated, PipelineStage.Encode) + PerItem(colocated, PipelineStage.Prefill) + PerItem(colocated, PipelineStage.Decode);
        Assert.That(colocated.ItemsPerSecond, Is.EqualTo(8 / perItem).Within(2).Percent, "every colocated GPU busy to the end");
        var fractionalSplit = 7 / (PerItem(split, PipelineStage.Encode) + PerItem(split, PipelineStage.Prefill));
        Assert.That(fractionalSplit, Is.LessThan(colocated.ItemsPerSecond));
        Assert.That(split.ItemsPerSecond, Is.LessThan(fractionalSplit));
    }

    [Test]
    public void An_eight_gpu_search_is_interactive()
    {
        var clock = Stopwatch.StartNew();
        var plan = Planner.Search(8, TextHeavy(), s_profile, PlannerObjective.Throughput());
        clock.Stop();
        TestContext.Out.WriteLine($"8-GPU search: {clock.Elapsed.TotalSeconds:F2} s, {plan.Simulated} of {plan.Considered} configurations simulated");

        // The target is 10 s; the bound is generous so that a loaded CI machine does not fail it.
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)));
    }

    [Test]
    public void Skipping_by_bound_and_reusing_equivalent_runs_finds_what_an_exhaustive_search_finds()
    {
        var profile = TestProfiles.PerItem(encodeSecondsPerImage: 0.02, prefillSecondsPerItem: 0.05, stepSeconds: 0.004) with
        {
            // Batching pays: a forward of b items costs 1 + b/4 single-item forwards.
            Encoder = new CostSeries([1, 64], [0.02, 0.02 * (1 + 63 / 4.0)]),
        };
        var workload = new SyntheticWorkload { Items = 300, ImagesPerItem = 2, PromptTokens = 100, OutputTokens = 30 }.Build();
        var options = new SearchOptions { EncoderBatchSizes = [1, 4, 16], PrefillBatchSizes = [1, 4], DecoderBatchSizes = [4, 16, 64], Top = 3 };

        var fast = Planner.Search(4, workload, profile, PlannerObjective.Throughput(), options);
        var exhaustive = Planner.Search(4, workload, profile, PlannerObjective.Throughput(), options with { Exhaustive = true });

        Assert.That(fast.Simulated, Is.LessThan(exhaustive.Simulated));
        Assert.That(fast.Top.Select(c => (c.Configuration, c.Score)), Is.EqualTo(exhaustive.Top.Select(c => (c.Configuration, c.Score))));
        Assert.That(fast.BestColocated!.Configuration, Is.EqualTo(exhaustive.BestColocated!.Configuration));
    }

    [Test]
    public void A_reused_run_equals_a_fresh_simulation()
    {
        var profile = TestProfiles.PerItem(0.02, 0.05, 0.004);
        var workload = new SyntheticWorkload { Items = 300, ImagesPerItem = 2, PromptTokens = 100, OutputTokens = 30, RatePerSecond = 5 }.Build();
        var options = new SearchOptions { EncoderBatchSizes = [1, 4, 16], PrefillBatchSizes = [1, 4], DecoderBatchSizes = [4, 16, 64], Top = 100, Exhaustive = true };
        var plan = Planner.Search(3, workload, profile, PlannerObjective.Throughput(), options);
        var simulator = new PipelineSimulator(profile);

        Assert.That(plan.Simulated, Is.LessThan(plan.Considered));
        foreach (var candidate in plan.Top)
        {
            var fresh = simulator.Run(candidate.Configuration, workload);
            Assert.That((candidate.Result.MakespanSeconds, candidate.Result.Ttft, candidate.Result.Tpot), Is.EqualTo((fresh.MakespanSeconds, fresh.Ttft, fresh.Tpot)), candidate.Configuration.ToString());
        }
    }

    [Test]
    public void A_gpu_cost_leaves_out_gpus_that_add_too_little()
    {
        // Prefill is the bottleneck at 4 items/s per GPU; a GPU costs 1 item/s, so a third encoder or decoder never pays.
        var profile = TestProfiles.Constant(encodeSeconds: 0.05, prefillSeconds: 0.25, stepSeconds: 1e-4);
        var workload = new SyntheticWorkload { Items = 400, ImagesPerItem = 1, PromptTokens = 10, OutputTokens = 2 }.Build();
        var plan = Planner.Search(8, workload, profile, PlannerObjective.Throughput(gpuCost: 1), new SearchOptions { Colocated = ColocatedFamilies.None });

        var (e, p, d) = Split(plan.Recommended);
        Assert.That((e, d), Is.EqualTo((1, 1)));
        Assert.That(p, Is.EqualTo(6));
    }

    [Test]
    public void A_decoder_of_its_own_fits_a_larger_batch_than_a_gpu_that_also_holds_the_vision_tower()
    {
        var plan = Planner.Search(8, TextHeavy(), s_profile, PlannerObjective.Throughput(),
            new SearchOptions { EncoderBatchSizes = [8], PrefillBatchSizes = [4], DecoderBatchSizes = [512], Exhaustive = true, Top = 1000 });

        var ownDecoder = plan.Top.Where(c => !c.Configuration.Layout.IsColocated).Max(c => c.Configuration.DecoderMaxBatch);
        var monolithic = plan.Top.Where(c => c.Configuration.Layout.Groups[0].Roles == StageRoles.All).Max(c => c.Configuration.DecoderMaxBatch);
        Assert.That(ownDecoder, Is.GreaterThan(monolithic));
        Assert.That(plan.SkippedForMemory, Is.GreaterThan(0), "batch 512 fits no GPU");
    }

    [Test]
    public void The_recommendation_is_written_as_the_settings_the_services_read()
    {
        var config = new PipelineConfiguration(Layout.Disaggregated(3, 2, 3), new BatchPolicy(8, 0.02), new BatchPolicy(4, 0.02), 64);

        var env = DeploymentFiles.ToEnvFile(config, "predicted 12.3 items/s", decoderMaxContext: 600);
        var compose = DeploymentFiles.ToComposeOverride(config);

        Assert.That(env.Split('\n'), Is.SupersetOf(new[]
        {
            "ENCODER_REPLICAS=3", "PREFILL_REPLICAS=2", "DECODER_REPLICAS=3",
            "ENCODER_MAX_BATCH_SIZE=8", "DECODER_MAX_BATCH_SIZE=64", "DECODER_CONCURRENT_MESSAGE_LIMIT=64",
            "Epd__Encoder__MaxBatchSize=8", "Epd__Encoder__MaxBatchWaitMs=20", "Epd__Prefill__MaxBatchSize=4", "Epd__Decoder__MaxBatchSize=64",
            "Epd__Decoder__PrefetchCount=128", "Epd__Decoder__MaxContext=600",
        }));
        Assert.That(env, Does.Not.Contain("Encoder__MaxContext"));
        Assert.That(env, Does.StartWith("# epd plan: 3E+2P+3D"));
        Assert.That(compose, Does.Contain("services:\n  encoder:\n    environment:\n      Epd__Encoder__MaxBatchSize: \"8\""));
        Assert.That(compose, Does.Contain("  decoder:\n    environment:\n      Epd__Decoder__MaxBatchSize: \"64\"\n      Epd__Decoder__ConcurrentMessageLimit: \"64\"\n      Epd__Decoder__PrefetchCount: \"128\"\n    deploy:\n      replicas: 3\n"));
    }
}
