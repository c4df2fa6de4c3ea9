using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EpdBatch.Contracts;
using EpdBatch.Ingest.Jobs;
using EpdBatch.Pipeline;
using EpdBatch.Pipeline.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EpdBatch.Ingest.Coordination;

/// <summary>
/// Writes a job's outputs under <see cref="JobRecord.OutputFolder"/>: while it runs, part files of the outcomes
/// recorded since the last part (<c>results.partial-NNNN.jsonl</c>, <c>errors.partial-NNNN.jsonl</c>); at the end,
/// <c>results.jsonl</c> and <c>errors.jsonl</c> ordered by item index, and <c>summary.json</c>, after which the parts
/// are deleted: a finished job's folder holds those three files alone.
/// </summary>
/// <remarks>
/// A part covers the completion log from the last committed position; its number and range are committed in the
/// store only after its files are written. A replica that dies in between leaves an uncommitted part, which the
/// next flush writes again under the same number with a superset of its outcomes: every outcome is in exactly
/// one committed part. The final files are made from the store, not from the parts, and are written before any part
/// is deleted; the job leaves its finalizing (or cancelling) state only after both. A replica that dies in between
/// leaves final files and some parts, and the next driver writes the same final files again and deletes what is left.
/// </remarks>
internal sealed class JobExporter(IJobStore store, IBlobStore blobs, IOptions<IngestOptions> options, ILogger<JobExporter> logger)
{
    public const string ResultsFile = "results.jsonl";
    public const string ErrorsFile = "errors.jsonl";
    public const string SummaryFile = "summary.json";
    private const string JsonLines = "application/x-ndjson";
    private const string PartInfix = ".partial-";
    private const int MaxOutcomesPerPart = 10_000;

    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes the outcomes recorded since the last part, if any; true where a part was committed.</summary>
    public async Task<bool> FlushAsync(JobRecord job, CancellationToken ct)
    {
        var logged = await store.CountOutcomesAsync(job.Id, ct);
        if (logged <= job.Flushed)
        {
            return false;
        }

        var outcomes = await store.ReadOutcomeLogAsync(job.Id, job.Flushed, (int)Math.Min(logged - job.Flushed, MaxOutcomesPerPart), ct);
        var (results, errors) = Render(job, outcomes);
        var part = (job.Parts + 1).ToString("D4", CultureInfo.InvariantCulture);
        // An empty file is written for neither kind. A rewrite of an uncommitted part holds a superset of its
        // outcomes, so it never leaves a stale file of that number behind.
        if (results.WrittenCount > 0)
        {
            await blobs.WriteAsync($"{job.OutputFolder}results{PartInfix}{part}.jsonl", results.WrittenMemory, JsonLines, ct);
        }

        if (errors.WrittenCount > 0)
        {
            await blobs.WriteAsync($"{job.OutputFolder}errors{PartInfix}{part}.jsonl", errors.WrittenMemory, JsonLines, ct);
        }

        return await store.CommitFlushAsync(job.Id, job.Flushed, job.Flushed + outcomes.Count, ct);
    }

    /// <summary>Writes the final files, then deletes the parts; <paramref name="finalState"/> and <paramref name="finishedAt"/> go into the summary.</summary>
    public async Task ExportAsync(JobRecord job, JobState finalState, DateTimeOffset finishedAt, CancellationToken ct)
    {
        var outcomes = await store.ReadOutcomesAsync(job.Id, ct);
        var (results, errors) = Render(job, outcomes);
        await blobs.WriteAsync(job.OutputFolder + ResultsFile, results.WrittenMemory, JsonLines, ct);
        await blobs.WriteAsync(job.OutputFolder + ErrorsFile, errors.WrittenMemory, JsonLines, ct);
        var summary = BuildSummary(job, finalState, finishedAt, outcomes, options.Value);
        await blobs.WriteAsync(job.OutputFolder + SummaryFile, Encoding.UTF8.GetBytes(summary.ToJsonString(s_indented) + "\n"), "application/json", ct);
        await DeletePartsAsync(job, ct);
    }

    /// <summary>The part files the job has written (and not yet deleted), results' first.</summary>
    public async Task<IReadOnlyList<string>> ListPartsAsync(JobRecord job, CancellationToken ct)
    {
        var parts = new List<string>();
        foreach (var kind in new[] { "results", "errors" })
        {
            await foreach (var uri in blobs.ListAsync(job.OutputFolder + kind + PartInfix, ct))
            {
                parts.Add(uri);
            }
        }

        return parts;
    }

    private async Task DeletePartsAsync(JobRecord job, CancellationToken ct)
    {
        try
        {
            foreach (var part in await ListPartsAsync(job, ct))
            {
                await blobs.DeleteAsync(part, ct);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException && !TransientFailures.IsTransient(e))
        {
            // The final files are written and complete: a store that lets us write but not delete (a SAS without
            // the delete permission, say) leaves the parts behind rather than failing a finished job.
            logger.LogWarning("Job {JobId}: cannot delete its part files under {Output}, they stay beside the final files: {Message}",
                job.Id, SecretRedactor.Redact(job.OutputFolder), SecretRedactor.Redact(e.Message));
        }
    }

    private static (ArrayBufferWriter<byte> Results, ArrayBufferWriter<byte> Errors) Render(JobRecord job, IReadOnlyList<ItemOutcome> outcomes)
    {
        var results = new ArrayBufferWriter<byte>();
        var errors = new ArrayBufferWriter<byte>();
        foreach (var outcome in outcomes)
        {
            if (outcome.Completed)
            {
                OutputLines.WriteResult(results, job.Id, job.Model, outcome);
            }
            else
            {
                OutputLines.WriteError(errors, outcome);
            }
        }

        return (results, errors);
    }

    internal static JsonObject BuildSummary(JobRecord job, JobState finalState, DateTimeOffset finishedAt, IReadOnlyList<ItemOutcome> outcomes, IngestOptions options)
    {
        var completed = outcomes.Where(static o => o.Completed).ToList();
        var failed = outcomes.Count - completed.Count;
        var promptTokens = completed.Sum(static o => (long)o.Result!.PromptTokens);
        var completionTokens = completed.Sum(static o => (long)o.Result!.Tokens.Count);
        var started = job.StateTimes.TryGetValue(JobState.InProgress, out var inProgress) ? inProgress : (DateTimeOffset?)null;
        var wall = (finishedAt - job.CreatedAt).TotalSeconds;
        var processing = started is { } s ? (finishedAt - s).TotalSeconds : 0;

        var timestamps = new JsonObject();
        foreach (var (state, at) in job.StateTimes.OrderBy(static p => p.Value))
        {
            timestamps[JobStateMachine.Name(state)] = at.ToString("O", CultureInfo.InvariantCulture);
        }

        timestamps[JobStateMachine.Name(finalState)] = finishedAt.ToString("O", CultureInfo.InvariantCulture);
        var timings = completed.Select(static o => o.Result!.Timings).ToList();
        return new JsonObject
        {
            ["job_id"] = job.Id,
            ["state"] = JobStateMachine.Name(finalState),
            ["model"] = job.Model,
            ["manifest"] = SecretRedactor.Redact(job.ManifestUri),
            ["output"] = SecretRedactor.Redact(job.OutputFolder),
            ["format"] = job.Format,
            ["error"] = job.ErrorCode is null ? null : new JsonObject { ["code"] = job.ErrorCode, ["message"] = SecretRedactor.Redact(job.ErrorMessage) },
            ["request_counts"] = new JsonObject
            {
                ["total"] = Math.Max(job.Total, outcomes.Count),
                ["completed"] = completed.Count,
                ["failed"] = failed,
                ["invalid_lines"] = outcomes.Count(static o => o.Error is { Stage: PipelineStages.Ingest } e && e.Code != JobCoordinator.CancelledCode),
                ["cancelled"] = outcomes.Count(static o => o.Error?.Code == JobCoordinator.CancelledCode),
            },
            ["tokens"] = new JsonObject
            {
                ["prompt"] = promptTokens,
                ["completion"] = completionTokens,
                ["total"] = promptTokens + completionTokens,
            },
            ["created_at"] = job.CreatedAt.ToString("O", CultureInfo.InvariantCulture),
            ["finished_at"] = finishedAt.ToString("O", CultureInfo.InvariantCulture),
            ["timestamps"] = timestamps,
            ["wall_time_seconds"] = Math.Round(wall, 3),
            ["processing_seconds"] = Math.Round(processing, 3),
            ["items_per_second"] = wall > 0 ? Math.Round(completed.Count / wall, 3) : 0,
            ["stages"] = new JsonObject
            {
                [PipelineStages.Encoder] = StageStats(timings, static t => t.EncodeBusyMs, static t => t.EncodeQueueMs),
                [PipelineStages.Prefill] = StageStats(timings, static t => t.PrefillBusyMs, static t => t.PrefillQueueMs),
                [PipelineStages.Decoder] = StageStats(timings, static t => t.DecodeBusyMs, static t => t.DecodeQueueMs),
            },
            ["configuration"] = new JsonObject
            {
                ["strict"] = job.Strict,
                ["default_max_tokens"] = job.DefaultMaxTokens,
                ["idempotency_key"] = job.IdempotencyKey,
                ["schedule"] = job.Schedule,
                ["scheduled_for"] = job.ScheduledFor?.ToString("O", CultureInfo.InvariantCulture),
                ["max_line_bytes"] = options.MaxLineBytes,
                ["max_items_per_job"] = options.MaxItemsPerJob,
                ["max_images_per_item"] = options.MaxImagesPerItem,
                ["max_tokens_limit"] = options.MaxTokensLimit,
                ["max_prompt_chars"] = options.MaxPromptChars,
            },
            ["retry_of"] = job.RetryOf,
            ["retried_by"] = job.RetriedBy,
            ["parts"] = job.Parts,
        };
    }

    private static JsonObject StageStats(List<StageTimings> timings, Func<StageTimings, double?> busy, Func<StageTimings, double?> queue)
    {
        var busyValues = timings.Select(busy).OfType<double>().ToList();
        var queueValues = timings.Select(queue).OfType<double>().Order().ToList();
        return new JsonObject
        {
            ["items"] = busyValues.Count,
            ["busy_ms_total"] = Math.Round(busyValues.Sum(), 3),
            ["busy_ms_mean"] = busyValues.Count == 0 ? null : Math.Round(busyValues.Average(), 3),
            ["queue_wait_ms_p50"] = Percentile(queueValues, 0.50),
            ["queue_wait_ms_p95"] = Percentile(queueValues, 0.95),
        };
    }

    /// <summary>Nearest-rank percentile of sorted values; null where there are none.</summary>
    internal static double? Percentile(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0)
        {
            return null;
        }

        var rank = (int)Math.Ceiling(p * sorted.Count);
        return Math.Round(sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)], 3);
    }
}
