using System.Globalization;
using System.Text.Json.Nodes;
using EpdBatch.Pipeline;
using Spectre.Console;

namespace EpdBatch.Cli.Commands;

/// <summary>The table printed when a job ends: counts, tokens, time, rate, time per stage, and where the results are.</summary>
internal static class RunSummary
{
    public static void Print(JobRunner.Outcome outcome, TextWriter output)
    {
        var status = outcome.Status;
        var summary = outcome.Summary;
        var rows = new List<(string Name, string Value)>
        {
            ("job", $"{status.JobId} ({status.StateName})"),
            ("items", $"{status.Completed} ok, {status.Failed} failed of {status.Total}"),
            ("tokens", $"{status.PromptTokens} in, {status.CompletionTokens} out"),
        };
        if (summary is not null)
        {
            rows.Add(("wall time", $"{summary["wall_time_seconds"]} s"));
            rows.Add(("throughput", $"{summary["items_per_second"]} items/s"));
            foreach (var stage in new[] { PipelineStages.Encoder, PipelineStages.Prefill, PipelineStages.Decoder })
            {
                if (summary["stages"]?[stage] is JsonObject s && s["busy_ms_mean"] is not null)
                {
                    rows.Add(($"{stage} time", string.Create(CultureInfo.InvariantCulture,
                        $"{s["busy_ms_mean"]} ms/item busy, queue wait p50 {s["queue_wait_ms_p50"]} ms, p95 {s["queue_wait_ms_p95"]} ms")));
                }
            }
        }
        if (status.ErrorMessage is { } error)
        {
            rows.Add(("error", $"{status.ErrorCode}: {error}"));
        }
        rows.Add(("results", outcome.ResultsLocation));

        if (ProgressDisplay.IsInteractive)
        {
            var table = new Table().Border(TableBorder.Rounded).AddColumn("").AddColumn("");
            table.HideHeaders();
            foreach (var (name, value) in rows)
            {
                table.AddRow(Markup.Escape(name), Markup.Escape(value));
            }
            AnsiConsole.Write(table);
        }
        else
        {
            var width = rows.Max(r => r.Name.Length);
            foreach (var (name, value) in rows)
            {
                output.WriteLine($"{name.PadRight(width)}  {value}");
            }
        }
    }
}
