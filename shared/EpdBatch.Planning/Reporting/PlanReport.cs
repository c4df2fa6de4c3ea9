using System.Globalization;
using System.Text;
using EpdBatch.Planning.Profiles;
using EpdBatch.Planning.Search;
using EpdBatch.Planning.Simulation;

namespace EpdBatch.Planning.Reporting;

/// <summary>Readable plain-text reports of profiles, simulations and searches (what <c>epd plan</c> prints).</summary>
public static class PlanReport
{
    private static readonly CultureInfo s_invariant = CultureInfo.InvariantCulture;

    public static string FormatProfile(StageProfile profile)
    {
        var text = new StringBuilder();
        Line(text, $"profile: {profile.Model} on {profile.Device}, {profile.DType} ({profile.Source}{(profile.Source == "analytic" ? ", an estimate" : "")})");
        if (profile.Notes is { } notes)
        {
            Line(text, $"  {notes}");
        }
        Line(text, $"  vision tower {profile.ImageSize}px ({profile.Tiling.ToString().ToLowerInvariant()}), {profile.TokensPerImage} tokens per image, {profile.TokensPerVideoFrame:G4} per video frame; context {profile.ContextLength}");
        Line(text, $"  KV cache {Bytes(profile.KvBytesPerToken)} per token, multimodal tokens {Bytes(profile.MultimodalBytesPerToken)} each; transfers via {profile.TransferProbe}");
        if (profile.Memory.IsKnown)
        {
            var m = profile.Memory;
            Line(text, $"  memory {Bytes(m.DeviceBytes)} per device; weights: vision {Bytes(m.VisionWeightBytes)}, language {Bytes(m.LanguageWeightBytes)}");
        }
        if (profile.SharedDevice is { } shared)
        {
            Line(text, $"  shared device: every replica runs on these {shared.Cores} cores, {shared.Threads} thread(s) per forward (simulated as processor sharing)");
        }
        if (profile.ServiceCost is { } service)
        {
            var use = profile.SharedDevice is null ? " (not simulated: no shared device)" : "";
            Line(text, $"  services' own CPU per item{use}: encoder {Duration(service.EncoderSeconds)}, prefill {Duration(service.PrefillSeconds)}, decoder {Duration(service.DecoderSeconds)}, ingest and stores {Duration(service.OtherSeconds)}");
        }
        text.Append('\n');

        var encoder = new TextTable("encoder images", "batch", "per image");
        for (var i = 0; i < profile.Encoder.Sizes.Count; i++)
        {
            var size = profile.Encoder.Sizes[i];
            encoder.Add(Number(size), Duration(profile.Encoder.Seconds[i]), Duration(profile.Encoder.Seconds[i] / size));
        }
        encoder.Write(text, "  ");
        text.Append('\n');
        WriteGrid(text, "prefill batch", "tokens", profile.Prefill);
        text.Append('\n');
        WriteGrid(text, "decode batch", "context", profile.DecodeStep);
        text.Append('\n');
        var transfer = new TextTable("transfer bytes", "seconds", "throughput");
        for (var i = 0; i < profile.Transfer.Sizes.Count; i++)
        {
            var s = profile.Transfer.Seconds[i];
            transfer.Add(Bytes(profile.Transfer.Sizes[i]), Duration(s), s > 0 ? Bytes(profile.Transfer.Sizes[i] / s) + "/s" : "-");
        }
        transfer.Write(text, "  ");
        return text.ToString();
    }

    public static string FormatSimulation(SimulationResult result)
    {
        var text = new StringBuilder();
        var where = result.SharedDevice ? $"{result.Configuration.Layout.Gpus} replica(s) sharing one device" : $"{result.Configuration.Layout.Gpus} GPU(s)";
        Line(text, $"configuration: {result.Configuration} on {where}{(result.Extrapolated ? "  [batch sizes beyond the profile: extrapolated]" : "")}");
        Line(text, $"items: {result.Items} in {Duration(result.MakespanSeconds)}: {Rate(result.ItemsPerSecond)} items/s ({Rate(result.SteadyItemsPerSecond)}/s steady), {Rate(result.OutputTokensPerSecond)} output tokens/s");
        Line(text, $"TTFT p50 {Duration(result.Ttft.P50)}, p95 {Duration(result.Ttft.P95)}; TPOT p50 {Duration(result.Tpot.P50)}, p95 {Duration(result.Tpot.P95)}; latency p50 {Duration(result.Latency.P50)}, p95 {Duration(result.Latency.P95)}");
        if (result.ServiceSeconds > 0)
        {
            Line(text, $"services' own CPU beside the forwards: {Duration(result.ServiceSeconds)} ({Duration(result.ServiceSeconds / result.Items)} per item, the profile's serviceCost)");
        }
        if (result.Targets is { } t)
        {
            Line(text, $"goodput: {Rate(result.Goodput)} items/s ({result.ItemsMeetingTargets} of {result.Items} within TTFT {Duration(t.TtftSeconds)} and TPOT {Duration(t.TpotSeconds)})");
        }
        text.Append('\n');
        var stages = new TextTable("stage", "GPUs", "busy share", "GPU-equiv", "mean batch", "batches", "peak queue");
        foreach (var s in result.Stages)
        {
            stages.Add(s.Stage.ToString().ToLowerInvariant(), Number(s.Workers), Percent(s.BusyShare), s.GpuEquivalents.ToString("F2", s_invariant),
                s.MeanBatchSize.ToString("F1", s_invariant), Number(s.Batches), Number(s.PeakQueueLength));
        }
        stages.Write(text);
        if (result.Workers.Count <= 16)
        {
            text.Append('\n');
            var workers = new TextTable("GPU", "runs", "busy", "encode", "prefill", "decode");
            foreach (var w in result.Workers)
            {
                workers.Add(Number(w.Index), Roles(w.Roles), Percent(w.BusyShare), Percent(w.EncodeShare), Percent(w.PrefillShare), Percent(w.DecodeShare));
            }
            workers.Write(text);
        }
        return text.ToString();
    }

    public static string FormatSearch(PlanResult plan)
    {
        var text = new StringBuilder();
        Line(text, $"search: {plan.Gpus} GPUs, objective {plan.Objective}");
        Line(text, $"workload: {plan.Workload}");
        var sampled = plan.SimulatedItems < plan.TotalItems ? $"a sample of {plan.SimulatedItems} items each, rates projected to {plan.TotalItems}" : $"{plan.SimulatedItems} items each";
        Line(text, $"{plan.Considered} configurations, {plan.Simulated} simulated ({sampled}), {plan.SkippedForMemory} over memory, in {plan.Elapsed.TotalSeconds:F2} s");
        text.Append('\n');
        var top = new TextTable("#", "layout", "GPUs", "batch E/P/D", "items/s", "goodput", "TTFT p50/p95", "TPOT p50/p95", "GPU-equiv E/P/D", "score");
        var rank = 1;
        foreach (var c in plan.Top)
        {
            AddCandidate(top, (rank++).ToString(s_invariant), c);
        }
        top.Write(text);
        text.Append('\n');
        Line(text, "best disaggregated vs best colocated:");
        var side = new TextTable("", "layout", "GPUs", "batch E/P/D", "items/s", "goodput", "TTFT p50/p95", "TPOT p50/p95", "GPU-equiv E/P/D", "score");
        AddCandidate(side, "disaggregated", plan.BestDisaggregated);
        if (plan.BestColocated is { } colocated)
        {
            AddCandidate(side, "colocated", colocated);
        }
        side.Write(text);
        if (plan.BestColocated is { } baseline && baseline.Score != 0)
        {
            var gain = plan.BestDisaggregated.Score / baseline.Score - 1;
            Line(text, $"disaggregated vs colocated: {gain:+0.0%;-0.0%} on the objective");
        }
        text.Append('\n');
        Line(text, $"recommended: {plan.Recommended}");
        if (!ReferenceEquals(plan.Deployable, plan.Winner))
        {
            var gap = plan.Deployable.Score / plan.Winner.Score - 1;
            Line(text, $"deployable with separate stage services (compose): {plan.Deployable.Configuration}, {gap:+0.0%;-0.0%} on the objective");
        }
        return text.ToString();
    }

    private static void AddCandidate(TextTable table, string label, PlanCandidate c)
    {
        var r = c.Result;
        var config = c.Configuration;
        table.Add(
            label,
            config.Layout.ToString(),
            Number(config.Layout.Gpus),
            $"{config.Encoder.MaxBatchSize}/{config.Prefill.MaxBatchSize}/{config.DecoderMaxBatch}",
            Rate(c.ItemsPerSecond),
            Rate(c.Goodput),
            $"{Duration(r.Ttft.P50)} / {Duration(r.Ttft.P95)}",
            $"{Duration(r.Tpot.P50)} / {Duration(r.Tpot.P95)}",
            string.Join("/", r.Stages.Select(s => s.GpuEquivalents.ToString("F1", s_invariant))),
            Rate(c.Score));
    }

    private static void WriteGrid(StringBuilder text, string rowName, string columnName, CostGrid grid)
    {
        var headers = new List<string> { $"{rowName} \\ {columnName}" };
        headers.AddRange(grid.Lengths.Select(Number));
        var table = new TextTable([.. headers]);
        for (var i = 0; i < grid.Batches.Count; i++)
        {
            var cells = new List<string> { Number(grid.Batches[i]) };
            cells.AddRange(grid.Seconds[i].Select(Duration));
            table.Add([.. cells]);
        }
        table.Write(text, "  ");
    }

    private static void Line(StringBuilder text, string line) => text.Append(line).Append('\n');

    private static string Roles(StageRoles roles) =>
        (roles.HasFlag(StageRoles.Encode) ? "E" : "") + (roles.HasFlag(StageRoles.Prefill) ? "P" : "") + (roles.HasFlag(StageRoles.Decode) ? "D" : "");

    private static string Number(double value) => value.ToString("0.##", s_invariant);

    private static string Percent(double share) => share.ToString("P0", s_invariant).Replace(" ", "", StringComparison.Ordinal);

    /// <summary>Three significant figures, "/s" left to the caller.</summary>
    internal static string Rate(double perSecond) => perSecond switch
    {
        0 => "0",
        >= 100 or <= -100 => perSecond.ToString("F0", s_invariant),
        >= 10 or <= -10 => perSecond.ToString("F1", s_invariant),
        >= 1 or <= -1 => perSecond.ToString("F2", s_invariant),
        _ => perSecond.ToString("G3", s_invariant),
    };

    internal static string Duration(double seconds) => seconds switch
    {
        0 => "0",
        >= 100 => $"{seconds.ToString("F0", s_invariant)} s",
        >= 1 => $"{seconds.ToString("G3", s_invariant)} s",
        >= 1e-3 => $"{(seconds * 1e3).ToString("G3", s_invariant)} ms",
        _ => $"{(seconds * 1e6).ToString("G3", s_invariant)} µs",
    };

    private static string Bytes(double bytes) => bytes switch
    {
        >= 1e9 => $"{(bytes / 1e9).ToString("G3", s_invariant)} GB",
        >= 1e6 => $"{(bytes / 1e6).ToString("G3", s_invariant)} MB",
        >= 1e3 => $"{(bytes / 1e3).ToString("G3", s_invariant)} kB",
        _ => $"{bytes.ToString("0", s_invariant)} B",
    };
}
