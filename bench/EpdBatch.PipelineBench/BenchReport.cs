using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EpdBatch.PipelineBench;

/// <summary>Medians over the runs, the ratios of the modes, and the tables (Markdown) and JSON of the figures.</summary>
internal sealed class BenchReport(
    BenchOptions options,
    string command,
    JsonObject machine,
    JsonObject threadProbe,
    IReadOnlyList<FourProcessResult> fourProcess,
    IReadOnlyList<DirectResult> direct,
    IReadOnlyList<TokenCheck> tokenChecks)
{
    private static readonly JsonSerializerOptions s_json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    /// <summary>One line of the throughput table: a mode (and thread setting) with the medians of its runs.</summary>
    private sealed record ModeSummary(string Mode, string Threads, int Runs, double ItemsPerSecond, double WallSeconds, double CpuSeconds, IReadOnlyDictionary<string, StageFigures> Stages);

    private List<ModeSummary> Summaries()
    {
        var summaries = new List<ModeSummary>();
        foreach (var group in fourProcess.GroupBy(f => f.Threads))
        {
            summaries.Add(new ModeSummary("four processes", group.Key, group.Count(), Median(group.Select(f => f.ItemsPerSecond)),
                Median(group.Select(f => f.CliWallSeconds)), Median(group.Select(f => f.CpuSeconds.Values.Sum())), MedianStages(group.Select(f => f.Stages).ToList())));
        }
        foreach (var group in direct.GroupBy(d => d.Mode))
        {
            summaries.Add(new ModeSummary(group.Key, group.First().TorchThreads.ToString(CultureInfo.InvariantCulture), group.Count(),
                Median(group.Select(d => d.ItemsPerSecond)), Median(group.Select(d => d.WallSeconds)), Median(group.Select(d => d.CpuSeconds)),
                MedianStages(group.Select(d => d.Stages).ToList())));
        }
        return summaries;
    }

    public JsonObject ToJson()
    {
        var summaries = Summaries();
        var references = summaries.Where(s => s.Mode != "four processes").ToList();
        var summary = new JsonArray();
        foreach (var s in summaries)
        {
            var ratios = new JsonObject();
            foreach (var r in references)
            {
                ratios[r.Mode] = r.ItemsPerSecond > 0 ? Math.Round(s.ItemsPerSecond / r.ItemsPerSecond, 3) : null;
            }
            summary.Add(new JsonObject
            {
                ["mode"] = s.Mode,
                ["torch_threads"] = s.Threads,
                ["runs"] = s.Runs,
                ["items_per_second"] = s.ItemsPerSecond,
                ["wall_seconds"] = s.WallSeconds,
                ["cpu_seconds"] = s.CpuSeconds,
                ["ratio_to"] = ratios,
                ["stages"] = JsonSerializer.SerializeToNode(s.Stages, s_json),
            });
        }
        return new JsonObject
        {
            ["command"] = command,
            ["machine"] = machine,
            ["model_shape"] = options.Shape.Name,
            ["model"] = JsonSerializer.SerializeToNode(options.Shape.Model, s_json),
            ["items"] = options.Items,
            ["max_tokens_range"] = new JsonArray(options.MinTokens, options.MaxTokens),
            ["runs"] = options.Runs,
            ["batch_sizes"] = new JsonObject { ["encoder"] = DirectModels.EncoderBatch, ["prefill"] = DirectModels.PrefillBatch, ["decoder"] = DirectModels.DecoderBatch },
            ["torch_threads_probe"] = threadProbe,
            ["summary"] = summary,
            ["token_checks"] = JsonSerializer.SerializeToNode(tokenChecks, s_json),
            ["four_process_runs"] = JsonSerializer.SerializeToNode(fourProcess, s_json),
            ["direct_runs"] = JsonSerializer.SerializeToNode(direct, s_json),
        };
    }

    public string ToMarkdown()
    {
        var md = new StringBuilder();
        var summaries = Summaries();
        var references = summaries.Where(s => s.Mode != "four processes").ToList();
        md.AppendLine(Inv($"{options.Items} items, model {options.Shape.Name}, max_tokens {options.MinTokens}..{options.MaxTokens}, median of {options.Runs} run(s) of each mode; CPU s = CPU time of the mode's processes (four processes: ingest + encoder + prefill + decoder; not the CLI, RabbitMQ, Redis or Azurite)."));
        md.AppendLine();
        md.Append("| mode | torch threads | items/s | wall s | CPU s |");
        foreach (var r in references)
        {
            md.Append(Inv($" ratio to {r.Mode} |"));
        }
        md.AppendLine();
        md.Append("| --- | --- | ---: | ---: | ---: |");
        md.AppendLine(string.Concat(references.Select(_ => " ---: |")));
        foreach (var s in summaries)
        {
            md.Append(Inv($"| {s.Mode} | {s.Threads} | {s.ItemsPerSecond:F3} | {s.WallSeconds:F1} | {s.CpuSeconds:F1} |"));
            foreach (var r in references)
            {
                md.Append(Inv($" {s.ItemsPerSecond / r.ItemsPerSecond:F2} |"));
            }
            md.AppendLine();
        }
        md.AppendLine();
        md.AppendLine("Per stage (— where a mode cannot measure it; see the notes for what each column means):");
        md.AppendLine();
        md.AppendLine("| mode | threads | stage | model busy ms/item | item in stage ms (mean) | queue wait p50 ms | queue wait p95 ms | CPU s |");
        md.AppendLine("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var s in summaries)
        {
            foreach (var (stage, f) in s.Stages)
            {
                md.AppendLine(Inv($"| {s.Mode} | {s.Threads} | {stage} | {Show(f.ModelBusyMsPerItem)} | {Show(f.ItemBusyMsMean)} | {Show(f.QueueWaitMsP50)} | {Show(f.QueueWaitMsP95)} | {Show(f.CpuSeconds)} |"));
            }
        }
        foreach (var group in fourProcess.GroupBy(f => f.Threads))
        {
            md.AppendLine(Inv($"| four processes | {group.Key} | ingest | — | — | — | — | {Median(group.Select(f => f.CpuSeconds.GetValueOrDefault("ingest-0"))):F1} |"));
        }
        md.AppendLine();
        md.AppendLine("Runs, in order of their run number (within a number, as listed in the notes):");
        md.AppendLine();
        md.AppendLine("| run | mode | threads | items/s | wall s | load avg start → end | machine CPU busy % |");
        md.AppendLine("| ---: | --- | --- | ---: | ---: | --- | ---: |");
        var rows = fourProcess.Select(f => (f.Run, Mode: "four processes", f.Threads, f.ItemsPerSecond, Wall: f.CliWallSeconds, f.Load))
            .Concat(direct.Select(d => (d.Run, d.Mode, Threads: d.TorchThreads.ToString(CultureInfo.InvariantCulture), d.ItemsPerSecond, Wall: d.WallSeconds, d.Load)))
            .OrderBy(r => r.Run);
        foreach (var r in rows)
        {
            md.AppendLine(Inv($"| {r.Run} | {r.Mode} | {r.Threads} | {r.ItemsPerSecond:F3} | {r.Wall:F1} | {r.Load.LoadAvgStart} → {r.Load.LoadAvgEnd} | {r.Load.CpuBusyPercent:F0} |"));
        }
        md.AppendLine();
        md.AppendLine("Greedy tokens, item by item:");
        md.AppendLine();
        foreach (var check in tokenChecks)
        {
            md.AppendLine(Inv($"- {check.Run} vs {check.Reference}: {check.Compared - check.Mismatched}/{check.Compared} equal{(check.Examples.Count > 0 ? " (" + string.Join("; ", check.Examples) + ")" : "")}"));
        }
        return md.ToString();
    }

    private static Dictionary<string, StageFigures> MedianStages(IReadOnlyList<IReadOnlyDictionary<string, StageFigures>> runs)
    {
        var stages = new Dictionary<string, StageFigures>();
        foreach (var stage in runs[0].Keys)
        {
            var all = runs.Select(r => r[stage]).ToList();
            stages[stage] = new StageFigures(all[0].Items, MedianOrNull(all.Select(f => f.ItemBusyMsMean)),
                MedianOrNull(all.Select(f => f.QueueWaitMsP50)), MedianOrNull(all.Select(f => f.QueueWaitMsP95)),
                MedianOrNull(all.Select(f => f.ModelBusyMs)), MedianOrNull(all.Select(f => f.CpuSeconds)));
        }
        return stages;
    }

    private static double? MedianOrNull(IEnumerable<double?> values)
    {
        var present = values.OfType<double>().ToList();
        return present.Count == 0 ? null : Median(present);
    }

    /// <summary>The median rounded to 3 decimals, as the tables show it.</summary>
    internal static double Median(IEnumerable<double> values) => Math.Round(ExactMedian(values), 3);

    /// <summary>The median (the mean of the middle two for an even count; 0 for none).</summary>
    internal static double ExactMedian(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return 0;
        }
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private static string Show(double? value) => value is { } v ? v.ToString("F1", CultureInfo.InvariantCulture) : "—";

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
