using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using EpdBatch.Ingest.Jobs;
using EpdBatch.Pipeline;

namespace EpdBatch.Ingest.Coordination;

/// <summary>
/// The numbers of <c>summary.json</c>, gathered one outcome at a time as the export reads them in index order, so
/// that no list of outcomes is kept: counts, token sums and busy-time sums as they go (each sum added in index order,
/// as a sum over the whole list would add them, so that the figures do not depend on how the outcomes were read).
/// The queue-wait percentiles need every value: they are kept as bare doubles, 8 bytes per completed item and stage
/// (24 MB for a million items), and ranked at the end.
/// </summary>
internal sealed class JobSummary(int expectedCompleted)
{
    private readonly StageFigures _encoder = new(expectedCompleted);
    private readonly StageFigures _prefill = new(expectedCompleted);
    private readonly StageFigures _decoder = new(expectedCompleted);
    private int _count;
    private int _completed;
    private int _invalidLines;
    private int _cancelled;
    private long _promptTokens;
    private long _completionTokens;

    public void Add(ItemOutcome outcome)
    {
        _count++;
        if (outcome.Result is { } result)
        {
            _completed++;
            _promptTokens += result.PromptTokens;
            _completionTokens += result.Tokens.Count;
            var t = result.Timings;
            _encoder.Add(t.EncodeBusyMs, t.EncodeQueueMs);
            _prefill.Add(t.PrefillBusyMs, t.PrefillQueueMs);
            _decoder.Add(t.DecodeBusyMs, t.DecodeQueueMs);
        }

        if (outcome.Error is { } error)
        {
            if (error.Code == JobCoordinator.CancelledCode)
            {
                _cancelled++;
            }
            else if (error.Stage == PipelineStages.Ingest)
            {
                _invalidLines++;
            }
        }
    }

    public JsonObject ToJson(JobRecord job, JobState finalState, DateTimeOffset finishedAt, IngestOptions options)
    {
        var started = job.StateTimes.TryGetValue(JobState.InProgress, out var inProgress) ? inProgress : (DateTimeOffset?)null;
        var wall = (finishedAt - job.CreatedAt).TotalSeconds;
        var processing = started is { } s ? (finishedAt - s).TotalSeconds : 0;

        var timestamps = new JsonObject();
        foreach (var (state, at) in job.StateTimes.OrderBy(static p => p.Value))
        {
            timestamps[JobStateMachine.Name(state)] = at.ToString("O", CultureInfo.InvariantCulture);
        }

        timestamps[JobStateMachine.Name(finalState)] = finishedAt.ToString("O", CultureInfo.InvariantCulture);
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
                ["total"] = Math.Max(job.Total, _count),
                ["completed"] = _completed,
                ["failed"] = _count - _completed,
                ["invalid_lines"] = _invalidLines,
                ["cancelled"] = _cancelled,
            },
            ["tokens"] = new JsonObject
            {
                ["prompt"] = _promptTokens,
                ["completion"] = _completionTokens,
                ["total"] = _promptTokens + _completionTokens,
            },
            ["created_at"] = job.CreatedAt.ToString("O", CultureInfo.InvariantCulture),
            ["finished_at"] = finishedAt.ToString("O", CultureInfo.InvariantCulture),
            ["timestamps"] = timestamps,
            ["wall_time_seconds"] = Math.Round(wall, 3),
            ["processing_seconds"] = Math.Round(processing, 3),
            ["items_per_second"] = wall > 0 ? Math.Round(_completed / wall, 3) : 0,
            ["stages"] = new JsonObject
            {
                [PipelineStages.Encoder] = _encoder.ToJson(),
                [PipelineStages.Prefill] = _prefill.ToJson(),
                [PipelineStages.Decoder] = _decoder.ToJson(),
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

    /// <summary>Nearest-rank percentile of sorted values; null where there are none.</summary>
    internal static double? Percentile(ReadOnlySpan<double> sorted, double p)
    {
        if (sorted.IsEmpty)
        {
            return null;
        }

        var rank = (int)Math.Ceiling(p * sorted.Length);
        return Math.Round(sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)], 3);
    }

    /// <summary>One stage's busy time (summed as it comes) and queue waits (kept, to rank), over the completed items that report them.</summary>
    private sealed class StageFigures(int expected)
    {
        private readonly List<double> _queue = new(expected);
        private int _busyCount;
        private double _busySum;

        public void Add(double? busy, double? queue)
        {
            if (busy is { } b)
            {
                _busyCount++;
                _busySum += b;
            }

            if (queue is { } q)
            {
                _queue.Add(q);
            }
        }

        public JsonObject ToJson()
        {
            var sorted = CollectionsMarshal.AsSpan(_queue);
            sorted.Sort();
            return new JsonObject
            {
                ["items"] = _busyCount,
                ["busy_ms_total"] = Math.Round(_busySum, 3),
                ["busy_ms_mean"] = _busyCount == 0 ? null : Math.Round(_busySum / _busyCount, 3),
                ["queue_wait_ms_p50"] = Percentile(sorted, 0.50),
                ["queue_wait_ms_p95"] = Percentile(sorted, 0.95),
            };
        }
    }
}
