using System.Text;
using System.Text.Json.Nodes;
using EpdBatch.Pipeline.Storage;

namespace EpdBatch.PipelineBench;

/// <summary>
/// One job through running services: <c>epd run MANIFEST --out PREFIX</c> as a separate process, then its
/// summary.json and results.jsonl read back from the blob store.
/// </summary>
internal sealed record PipelineJob(string JobId, int ExitCode, double CliWallSeconds, JsonObject Summary, IReadOnlyList<JsonObject> Results)
{
    public int Completed => Summary["request_counts"]!["completed"]!.GetValue<int>();

    public int Failed => Summary["request_counts"]!["failed"]!.GetValue<int>();

    /// <summary>From the job's creation to its summary (submission, ingest, every item, the export): the job's own clock.</summary>
    public double JobWallSeconds => Summary["wall_time_seconds"]!.GetValue<double>();

    /// <summary>Each item's greedy tokens by custom_id.</summary>
    public IReadOnlyDictionary<string, int[]> Tokens() => Results.ToDictionary(
        line => line["custom_id"]!.GetValue<string>(),
        line => line["response"]!["body"]!["choices"]![0]!["token_ids"]!.AsArray().Select(t => t!.GetValue<int>()).ToArray());

    public static async Task<PipelineJob> RunAsync(string manifestUri, string outputPrefix, IReadOnlyDictionary<string, string> environment, AzureBlobStore blobs, Func<string> logs)
    {
        var result = await EpdProcess.RunAsync(["run", manifestUri, "--out", outputPrefix], environment, timeout: TimeSpan.FromMinutes(120));
        if (result.ExitCode is not (0 or 3))
        {
            throw new InvalidOperationException($"epd run exited with {result.ExitCode}:\n{result.Stdout}\n{result.Stderr}\n{logs()}");
        }
        var jobFolder = result.Stdout.Split('\n').Single(l => l.StartsWith("results", StringComparison.Ordinal))["results".Length..].Trim();
        if (!jobFolder.EndsWith('/'))
        {
            jobFolder += "/";
        }
        var summary = (JsonObject)JsonNode.Parse(await blobs.ReadAsync(jobFolder + "summary.json", CancellationToken.None))!;
        var text = Encoding.UTF8.GetString(await blobs.ReadAsync(jobFolder + "results.jsonl", CancellationToken.None));
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => (JsonObject)JsonNode.Parse(l)!).ToList();
        return new PipelineJob(jobFolder.TrimEnd('/').Split('/')[^1], result.ExitCode, Math.Round(result.Wall.TotalSeconds, 3), summary, lines);
    }
}
