using System.Diagnostics;
using EpdBatch.Planning.Profiles;
using EpdBatch.Planning.Simulation;
using EpdBatch.Planning.Workloads;

namespace EpdBatch.Planning.Search;

/// <summary>
/// Searches every split of N GPUs into encoder, prefill and decoder replicas (and, as baselines, the colocated
/// layouts: all stages on every GPU, encode+prefill with separate decoders, separate encoders with
/// prefill+decode), each with batch sizes from a small grid, and simulates them to rank by the objective.
/// Configurations are simulated in order of an optimistic throughput bound; once no bound left can reach the
/// top, the rest are skipped (see <see cref="SearchOptions.Exhaustive"/>).
/// </summary>
public static class Planner
{
    private const int Chunk = 16;

    /// <summary>
    /// A simulated result that this configuration would reproduce exactly: same layout, and every batch limit
    /// either equal or, where the simulated run never reached its own limit, still above the most it used (a
    /// limit that never binds changes nothing in a deterministic run).
    /// </summary>
    private static SimulationResult? Equivalent(Dictionary<string, List<SimulationResult>> byLayout, PipelineConfiguration config, StageCostModel cost, PreparedWorkload workload)
    {
        if (!byLayout.TryGetValue(config.Layout.ToString(), out var results))
        {
            return null;
        }
        foreach (var r in results)
        {
            var c = r.Configuration;
            if (Same(c.Encoder.MaxBatchSize, config.Encoder.MaxBatchSize, r.PeakEncoderBatch)
                && Same(c.Prefill.MaxBatchSize, config.Prefill.MaxBatchSize, r.PeakPrefillBatch)
                && Same(c.DecoderMaxBatch, config.DecoderMaxBatch, r.PeakDecoderSequences)
                && c.Encoder.MaxWaitSeconds == config.Encoder.MaxWaitSeconds
                && c.Prefill.MaxWaitSeconds == config.Prefill.MaxWaitSeconds)
            {
                return r with
                {
                    Configuration = config,
                    Extrapolated = cost.IsExtrapolated(config.Encoder.MaxBatchSize * Math.Max(1, workload.MaxTiles), config.Prefill.MaxBatchSize, config.DecoderMaxBatch),
                };
            }
        }
        return null;

        static bool Same(int simulated, int wanted, int peak) => simulated == wanted || (peak < simulated && peak < wanted);
    }

    /// <summary>Best score first; ties go to fewer GPUs, then to smaller batches (less memory, lower latency).</summary>
    private static readonly Comparer<PlanCandidate> s_rank = Comparer<PlanCandidate>.Create((a, b) =>
    {
        var c = b.Score.CompareTo(a.Score);
        if (c != 0)
        {
            return c;
        }
        c = a.Configuration.Layout.Gpus.CompareTo(b.Configuration.Layout.Gpus);
        if (c != 0)
        {
            return c;
        }
        c = a.Configuration.DecoderMaxBatch.CompareTo(b.Configuration.DecoderMaxBatch);
        if (c != 0)
        {
            return c;
        }
        c = a.Configuration.Encoder.MaxBatchSize.CompareTo(b.Configuration.Encoder.MaxBatchSize);
        if (c != 0)
        {
            return c;
        }
        c = a.Configuration.Prefill.MaxBatchSize.CompareTo(b.Configuration.Prefill.MaxBatchSize);
        return c != 0 ? c : string.CompareOrdinal(a.Configuration.Layout.ToString(), b.Configuration.Layout.ToString());
    });

    public static PlanResult Search(int gpus, Workload workload, StageProfile profile, PlannerObjective objective, SearchOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new SearchOptions();
        options.Validate();
        objective.Validate();
        if (gpus < 2)
        {
            throw new ArgumentException("a search needs at least 2 GPUs (prefill and decode each need one)");
        }
        var clock = Stopwatch.StartNew();
        var simulator = new PipelineSimulator(profile);
        var sample = workload.Sample(options.SampleItems);
        var prepared = simulator.Prepare(sample);

        var skippedForMemory = 0;
        var disaggregated = new List<(PipelineConfiguration Config, double Bound)>();
        var colocated = new List<(PipelineConfiguration Config, double Bound)>();
        foreach (var layout in Layouts(gpus, prepared.HasMedia, options.Colocated))
        {
            foreach (var config in Configurations(layout, options, profile, prepared))
            {
                if (!MemoryFit.Fits(profile.Memory, profile.KvBytesPerToken, config, prepared))
                {
                    skippedForMemory++;
                    continue;
                }
                var bound = CapacityBound.ItemsPerSecond(simulator.Cost, config, prepared);
                (layout.IsColocated ? colocated : disaggregated).Add((config, bound));
            }
        }
        if (disaggregated.Count == 0)
        {
            throw new ArgumentException($"no disaggregated configuration of {gpus} GPUs fits the device's memory; lower the batch sizes or plan for more memory");
        }

        var simulated = 0;
        var bestDisaggregated = Evaluate(disaggregated, simulator, prepared, objective, options, workload.Items.Count, ref simulated, cancellationToken);
        var bestColocated = colocated.Count > 0
            ? Evaluate(colocated, simulator, prepared, objective, options, workload.Items.Count, ref simulated, cancellationToken)
            : [];
        var top = bestDisaggregated.Concat(bestColocated).OrderBy(c => c, s_rank).Take(options.Top).ToArray();
        return new PlanResult
        {
            Gpus = gpus,
            Objective = objective,
            Workload = workload.Name,
            TotalItems = workload.Items.Count,
            SimulatedItems = prepared.Count,
            MaxSequenceTokens = prepared.MaxSequenceTokens,
            Top = top,
            BestDisaggregated = bestDisaggregated[0],
            BestColocated = bestColocated.Count > 0 ? bestColocated[0] : null,
            Considered = disaggregated.Count + colocated.Count + skippedForMemory,
            Simulated = simulated,
            SkippedForMemory = skippedForMemory,
            Elapsed = clock.Elapsed,
        };
    }

    /// <summary>Every layout of at most <paramref name="gpus"/> GPUs.</summary>
    internal static IEnumerable<Layout> Layouts(int gpus, bool hasMedia, ColocatedFamilies colocated)
    {
        for (var total = 1; total <= gpus; total++)
        {
            for (var e = hasMedia ? 1 : 0; e <= total - 2; e++)
            {
                for (var p = 1; p <= total - e - 1; p++)
                {
                    yield return Layout.Disaggregated(e, p, total - e - p);
                }
            }
            if (colocated.HasFlag(ColocatedFamilies.Monolithic))
            {
                yield return Layout.Colocated(total);
            }
            if (colocated.HasFlag(ColocatedFamilies.EncodePrefill))
            {
                for (var ep = 1; ep < total; ep++)
                {
                    yield return Layout.EncodePrefillColocated(ep, total - ep);
                }
            }
            if (colocated.HasFlag(ColocatedFamilies.PrefillDecode) && hasMedia)
            {
                for (var e = 1; e < total; e++)
                {
                    yield return Layout.PrefillDecodeColocated(e, total - e);
                }
            }
        }
    }

    private static IEnumerable<PipelineConfiguration> Configurations(Layout layout, SearchOptions options, StageProfile profile, PreparedWorkload workload)
    {
        // Batch sizes of a stage that no GPU runs change nothing: try one.
        IReadOnlyList<int> encoder = workload.HasMedia && layout.WorkersFor(PipelineStage.Encode) > 0 ? options.EncoderBatchSizes : [options.EncoderBatchSizes[0]];
        var maxGrid = options.DecoderBatchSizes.Max();
        foreach (var eb in encoder)
        {
            foreach (var pb in options.PrefillBatchSizes)
            {
                var encoderPolicy = new BatchPolicy(eb, options.MaxBatchWaitSeconds);
                var prefillPolicy = new BatchPolicy(pb, options.MaxBatchWaitSeconds);
                var decoderBatches = options.DecoderBatchSizes;
                if (options.TryLargestDecoderBatchThatFits && profile.Memory.IsKnown)
                {
                    var fit = LargestDecoderBatch(layout, encoderPolicy, prefillPolicy, profile, workload);
                    if (fit >= 1 && fit < maxGrid && !decoderBatches.Contains(fit))
                    {
                        decoderBatches = [.. decoderBatches.Append(fit).Order()];
                    }
                }
                foreach (var db in decoderBatches)
                {
                    yield return new PipelineConfiguration(layout, encoderPolicy, prefillPolicy, db);
                }
            }
        }
    }

    /// <summary>The most decoder slots every decoding GPU of the layout holds beside its weights and working memory (0: none fit).</summary>
    private static int LargestDecoderBatch(Layout layout, BatchPolicy encoder, BatchPolicy prefill, StageProfile profile, PreparedWorkload workload)
    {
        var largest = int.MaxValue;
        foreach (var group in layout.Groups)
        {
            if (!group.Roles.HasFlag(StageRoles.Decode))
            {
                continue;
            }
            // Memory is linear in the slots: what one slot adds over none.
            var probe = new PipelineConfiguration(layout, encoder, prefill, 1);
            var withOne = MemoryFit.Needed(profile.Memory, profile.KvBytesPerToken, probe, group.Roles, workload);
            var perSlot = (double)workload.MaxSequenceTokens * profile.KvBytesPerToken;
            var fits = perSlot > 0 ? (int)Math.Floor((profile.Memory.DeviceBytes - withOne) / perSlot) + 1 : int.MaxValue;
            largest = Math.Min(largest, Math.Max(0, fits));
        }
        return largest;
    }

    /// <summary>Simulates in order of bound until no bound left can enter the top; returns the simulated, best first.</summary>
    private static List<PlanCandidate> Evaluate(
        List<(PipelineConfiguration Config, double Bound)> candidates,
        PipelineSimulator simulator,
        PreparedWorkload workload,
        PlannerObjective objective,
        SearchOptions options,
        int totalItems,
        ref int simulated,
        CancellationToken cancellationToken)
    {
        // Highest bound first; among equal bounds fewer GPUs.
        var arrivalCap = CapacityBound.ArrivalCap(workload);
        var online = !double.IsPositiveInfinity(arrivalCap);
        var ordered = candidates
            .Select((c, i) => (c.Config, Bound: Math.Min(c.Bound, arrivalCap), Index: i))
            .OrderByDescending(c => c.Bound)
            .ThenBy(c => c.Config.Layout.Gpus)
            // Larger batch limits first: a smaller limit that the run never reached reuses its result.
            .ThenByDescending(c => c.Index)
            .ToArray();
        var results = new List<PlanCandidate>();
        var byLayout = new Dictionary<string, List<SimulationResult>>();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism, CancellationToken = cancellationToken };
        for (var start = 0; start < ordered.Length; start += Chunk)
        {
            if (!options.Exhaustive && results.Count >= options.Top)
            {
                var threshold = results[options.Top - 1].Score;
                var next = ordered[start];
                // Online, the steady rate can beat the mean arrival rate by a Poisson fluctuation: the slack covers it too.
                var reachable = next.Bound * (1 + options.BoundSlack) - objective.GpuCost * next.Config.Layout.Gpus;
                if (reachable <= threshold)
                {
                    break;
                }
            }
            var count = Math.Min(Chunk, ordered.Length - start);
            var chunk = new SimulationResult?[count];
            var reused = new bool[count];
            for (var i = 0; i < count; i++)
            {
                chunk[i] = Equivalent(byLayout, ordered[start + i].Config, simulator.Cost, workload);
                reused[i] = chunk[i] is not null;
            }
            Parallel.For(0, count, parallel, i =>
            {
                chunk[i] ??= simulator.Run(ordered[start + i].Config, workload, objective.Targets);
            });
            for (var i = 0; i < count; i++)
            {
                var (config, bound, _) = ordered[start + i];
                var result = chunk[i]!;
                if (!reused[i])
                {
                    simulated++;
                    var key = config.Layout.ToString();
                    if (!byLayout.TryGetValue(key, out var list))
                    {
                        byLayout[key] = list = [];
                    }
                    list.Add(result);
                }
                var (throughput, goodput) = PlannerObjective.Rates(result, totalItems, online);
                results.Add(new PlanCandidate(config, result, throughput, goodput, objective.Score(throughput, goodput, config.Layout.Gpus), bound));
            }
            results.Sort(s_rank);
        }
        return results;
    }
}
