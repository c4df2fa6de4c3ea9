using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace EpdBatch.PipelineBench;

/// <summary>The load test's figures as JSON and as Markdown tables (one line per job size).</summary>
internal static class LoadReport
{
    private static readonly string[] s_processes = ["ingest-0", "encoder-0", "prefill-0", "decoder-0"];
    private static readonly string[] s_kinds = ["total", "ingest", "mm", "kv", "mmc", "other"];

    public static JsonObject ToJson(BenchOptions options, string command, JsonObject machine, IReadOnlyList<LoadResult> results) => new()
    {
        ["command"] = command,
        ["machine"] = machine.DeepClone(),
        ["model_shape"] = options.Shape.Name,
        ["max_tokens"] = $"{options.MinTokens}..{options.MaxTokens}",
        ["sample_ms"] = options.SampleMilliseconds,
        ["runs"] = new JsonArray(results.Select(r => (JsonNode)new JsonObject
        {
            ["items"] = r.Items,
            ["job_id"] = r.JobId,
            ["completed"] = r.Completed,
            ["failed"] = r.Failed,
            ["cli_wall_seconds"] = r.CliWallSeconds,
            ["job_wall_seconds"] = r.JobWallSeconds,
            ["items_per_second"] = r.ItemsPerSecond,
            ["max_in_flight"] = r.MaxInFlight,
            ["redis_database"] = r.RedisDatabase,
            ["samples"] = r.Peaks.Samples,
            ["rss_mib_at_start"] = Object(r.Peaks.StartRssMib),
            ["rss_mib_peak_sampled"] = Object(r.Peaks.PeakRssMib),
            ["rss_mib_vmhwm"] = Object(r.Peaks.HwmMib),
            ["redis_keys_peak"] = Object(r.Peaks.PeakKeys),
            ["redis_keys_after"] = Object(r.KeysAfter),
            ["load_avg_start"] = r.Machine.LoadAvgStart,
            ["load_avg_end"] = r.Machine.LoadAvgEnd,
            ["cpu_busy_percent"] = r.Machine.CpuBusyPercent,
        }).ToArray()),
    };

    public static string ToMarkdown(IReadOnlyList<LoadResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine("| items | wall s | items/s | load avg start → end | CPU busy |");
        text.AppendLine("| ---: | ---: | ---: | --- | ---: |");
        foreach (var r in results)
        {
            text.AppendLine(Invariant($"| {r.Items} | {r.CliWallSeconds:F1} | {r.ItemsPerSecond:F2} | {r.Machine.LoadAvgStart} → {r.Machine.LoadAvgEnd} | {r.Machine.CpuBusyPercent:F0} % |"));
        }
        text.AppendLine();
        text.AppendLine("Peak RSS per process, MiB (RSS when the job started → highest sampled while it ran; the kernel's VmHWM in brackets):");
        text.AppendLine();
        text.AppendLine("| items | " + string.Join(" | ", s_processes.Select(p => p[..^2])) + " |");
        text.AppendLine("| ---: |" + string.Concat(s_processes.Select(_ => " ---: |")));
        foreach (var r in results)
        {
            text.AppendLine(Invariant($"| {r.Items} | ") + string.Join(" | ", s_processes.Select(p =>
                Invariant($"{r.Peaks.StartRssMib.GetValueOrDefault(p):F0} → {r.Peaks.PeakRssMib.GetValueOrDefault(p):F0} ({r.Peaks.HwmMib.GetValueOrDefault(p):F0})"))) + " |");
        }
        text.AppendLine();
        text.AppendLine("Peak Redis keys of the deployment, by kind (each kind's own peak; left after the job in brackets):");
        text.AppendLine();
        text.AppendLine("| items | " + string.Join(" | ", s_kinds) + " | samples |");
        text.AppendLine("| ---: |" + string.Concat(s_kinds.Select(_ => " ---: |")) + " ---: |");
        foreach (var r in results)
        {
            text.AppendLine(Invariant($"| {r.Items} | ") + string.Join(" | ", s_kinds.Select(k =>
                Invariant($"{r.Peaks.PeakKeys.GetValueOrDefault(k)} ({(k == "total" ? r.KeysAfter.Values.Sum() : r.KeysAfter.GetValueOrDefault(k))})"))) + Invariant($" | {r.Peaks.Samples} |"));
        }
        return text.ToString();
    }

    private static JsonObject Object<T>(IReadOnlyDictionary<string, T> values) =>
        new(values.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, (JsonNode?)JsonValue.Create(p.Value))));

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
