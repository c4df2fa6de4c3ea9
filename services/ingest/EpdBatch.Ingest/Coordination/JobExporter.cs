using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
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
/// <para>
/// The final files stream, so that a job of millions of items costs the ingest a page and not the job: the outcomes
/// are read from the store a page of indices at a time (<see cref="IJobStore.ReadOutcomePagesAsync"/>), each page's
/// lines go straight to the two blobs being written (<see cref="IBlobStore.OpenWriteAsync"/>), and the summary's
/// figures are gathered on the way (<see cref="JobSummary"/>; its queue-wait percentiles keep 24 bytes per completed
/// item). <c>results.jsonl</c> and <c>errors.jsonl</c> are committed only after their last page (a block list, a
/// temporary file renamed), <c>summary.json</c> after both: an export that fails or dies mid-way leaves no partly
/// written final file, only the previous files or none, and the next pass writes the same bytes.
/// </para>
/// </remarks>
internal sealed class JobExporter(IJobStore store, IBlobStore blobs, IOptions<IngestOptions> options, ILogger<JobExporter> logger)
{
    public const string ResultsFile = "results.jsonl";
    public const string ErrorsFile = "errors.jsonl";
    public const string SummaryFile = "summary.json";
    private const string JsonLines = "application/x-ndjson";
    private const string PartInfix = ".partial-";
    private const int MaxOutcomesPerPart = 10_000;

    /// <summary>Outcomes (by index range) read, rendered and written at a time by the final export: about a megabyte of lines.</summary>
    private const int ExportPageSize = 1_000;

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
        var results = new ArrayBufferWriter<byte>();
        var errors = new ArrayBufferWriter<byte>();
        Render(job, outcomes, results, errors);
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
        var summary = new JobSummary(job.Completed);
        await using (var results = await blobs.OpenWriteAsync(job.OutputFolder + ResultsFile, JsonLines, ct))
        await using (var errors = await blobs.OpenWriteAsync(job.OutputFolder + ErrorsFile, JsonLines, ct))
        {
            var resultLines = new ArrayBufferWriter<byte>();
            var errorLines = new ArrayBufferWriter<byte>();
            await foreach (var page in store.ReadOutcomePagesAsync(job.Id, ExportPageSize, ct))
            {
                Render(job, page, resultLines, errorLines);
                foreach (var outcome in page)
                {
                    summary.Add(outcome);
                }

                await results.WriteAsync(resultLines.WrittenMemory, ct);
                await errors.WriteAsync(errorLines.WrittenMemory, ct);
                resultLines.ResetWrittenCount();
                errorLines.ResetWrittenCount();
            }

            // Committed only once every page is written: an export cut short leaves the final files as they were.
            await results.CommitAsync(ct);
            await errors.CommitAsync(ct);
        }

        var json = summary.ToJson(job, finalState, finishedAt, options.Value);
        await blobs.WriteAsync(job.OutputFolder + SummaryFile, Encoding.UTF8.GetBytes(json.ToJsonString(s_indented) + "\n"), "application/json", ct);
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

    private static void Render(JobRecord job, IReadOnlyList<ItemOutcome> outcomes, IBufferWriter<byte> results, IBufferWriter<byte> errors)
    {
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
    }
}
