using EpdBatch.Contracts;
using EpdBatch.Ingest.Jobs;
using EpdBatch.Ingest.Manifest;
using EpdBatch.Pipeline;
using EpdBatch.Pipeline.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EpdBatch.Ingest.Coordination;

/// <summary>
/// Takes one job through its lifecycle, on the replica that holds the job's lease: validates the manifest (or
/// copies a retried job's failed items), publishes the encode commands in windows, flushes finished results to
/// part files, notices when every item is terminal, and exports. Every step starts from the store, so a driver
/// that starts on a job another replica left half-done (a crash, a restart) carries on from where it was.
/// </summary>
internal sealed class JobDriver(
    IJobStore store,
    IBlobStore blobs,
    MediaAccessPolicy media,
    EncodeDispatcher dispatcher,
    JobExporter exporter,
    JobSignals signals,
    IOptions<IngestOptions> options,
    TimeProvider time,
    ILogger<JobDriver> logger)
{
    private const int StoreBatch = 256;
    private const int DropBatch = 512;
    private const int OutcomePage = 1_000;

    private readonly IngestOptions _options = options.Value;

    public async Task RunAsync(string jobId, CancellationToken ct)
    {
        var run = new RunState { LastFlush = time.GetUtcNow() };
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var job = await store.GetAsync(jobId, ct);
            if (job is null)
            {
                return;
            }

            switch (job.State)
            {
                case JobState.Validating:
                    await ValidateAsync(job, ct);
                    continue;

                case JobState.InProgress when job.Published < job.Items:
                    if (await PublishAsync(job, run, ct))
                    {
                        continue;
                    }

                    // The in-flight window is full: wait for outcomes (a wake-up) or the next poll.
                    break;

                case JobState.InProgress when job.Validated && job.Terminal >= job.Total:
                    // The last outcomes go to a part too, so that the parts together hold every outcome once.
                    await FlushAllAsync(jobId, ct);
                    await store.TryTransitionAsync(jobId, JobState.InProgress, JobState.Finalizing, time.GetUtcNow(), null, null, ct);
                    continue;

                case JobState.InProgress:
                    await MaybeFlushAsync(job, run, ct);
                    break;

                case JobState.Cancelling:
                    if (await TryFinishCancelAsync(job, ct))
                    {
                        continue;
                    }

                    await MaybeFlushAsync(job, run, ct);
                    break;

                case JobState.Finalizing:
                    await FinalizeAsync(job, ct);
                    continue;

                default:
                    // Completed, failed or cancelled, and exported: retiring again is harmless (a crash may have come between).
                    await store.RetireAsync(jobId, _options.Retention, ct);
                    logger.LogInformation("Job {JobId} {State}: {Completed} completed, {Failed} failed of {Total}",
                        jobId, JobStateMachine.Name(job.State), job.Completed, job.Failed, job.Total);
                    return;
            }

            await signals.WaitJobAsync(jobId, _options.PollInterval, ct);
        }
    }

    private async Task ValidateAsync(JobRecord job, CancellationToken ct)
    {
        if (job.RetryOf is not null)
        {
            await CopyRetryItemsAsync(job, ct);
            return;
        }

        // A validation cut short by a crash stored some items; nothing was published yet, so start over.
        await store.ResetItemsAsync(job.Id, ct);
        Stream manifest;
        try
        {
            manifest = await ManifestSource.OpenAsync(blobs, job.ManifestUri, ct);
        }
        catch (BlobNotFoundException)
        {
            await FailAsync(job.Id, JobState.Validating, ManifestErrorCodes.ManifestNotFound, $"No manifest at '{SecretRedactor.Redact(job.ManifestUri)}'.", ct);
            return;
        }
        catch (InvalidBlobUriException e)
        {
            await FailAsync(job.Id, JobState.Validating, "invalid_manifest_uri", e.Message, ct);
            return;
        }

        var reader = new ManifestReader(_options, media, job.DefaultMaxTokens);
        var batch = new List<ManifestItem>(StoreBatch);
        int entries = 0, items = 0, invalid = 0;
        bool tooMany = false, cancelled = false;
        await using (manifest)
        {
            await foreach (var entry in reader.ReadAsync(manifest, ct))
            {
                if (++entries > _options.MaxItemsPerJob)
                {
                    tooMany = true;
                    break;
                }

                if (entry.Item is { } item)
                {
                    batch.Add(item);
                    items++;
                }
                else
                {
                    var error = entry.Error!;
                    invalid++;
                    var outcome = new ItemOutcome(error.Line - 1, error.CustomId, null, new ItemError(PipelineStages.Ingest, error.Code, SecretRedactor.Redact(error.Message)), time.GetUtcNow());
                    await store.RecordOutcomeAsync(job.Id, outcome, invalidLine: true, ct);
                }

                if (entries % StoreBatch == 0)
                {
                    await store.AddItemsAsync(job.Id, batch, ct);
                    batch.Clear();
                    if ((await store.GetAsync(job.Id, ct))?.State != JobState.Validating)
                    {
                        cancelled = true;
                        break;
                    }
                }
            }
        }

        await store.AddItemsAsync(job.Id, batch, ct);
        var format = reader.Format == ManifestFormat.Unknown ? null : reader.Format == ManifestFormat.Native ? "native" : "openai_batch";
        if (tooMany)
        {
            await FailAsync(job.Id, JobState.Validating, ManifestErrorCodes.TooManyItems, $"The manifest has more than {_options.MaxItemsPerJob} lines (Epd:Ingest:MaxItemsPerJob); split it into several jobs.", ct);
            return;
        }

        await store.SetValidatedAsync(job.Id, items, items + invalid, format, ct);
        if (cancelled)
        {
            return;
        }

        if (entries == 0)
        {
            await FailAsync(job.Id, JobState.Validating, ManifestErrorCodes.EmptyManifest, "The manifest has no lines.", ct);
        }
        else if (job.Strict && invalid > 0)
        {
            await FailAsync(job.Id, JobState.Validating, ManifestErrorCodes.StrictValidationFailed,
                $"{invalid} of {entries} manifest lines are invalid (see errors.jsonl); a strict job runs none.", ct);
        }
        else if (items == 0)
        {
            await FailAsync(job.Id, JobState.Validating, ManifestErrorCodes.NoValidItems, $"None of the {entries} manifest lines is valid (see errors.jsonl).", ct);
        }
        else if (await store.TryTransitionAsync(job.Id, JobState.Validating, JobState.InProgress, time.GetUtcNow(), null, null, ct))
        {
            logger.LogInformation("Job {JobId} validated: {Items} items, {Invalid} invalid lines ({Format})", job.Id, items, invalid, format);
        }
    }

    private async Task CopyRetryItemsAsync(JobRecord job, CancellationToken ct)
    {
        await store.ResetItemsAsync(job.Id, ct);
        var source = await store.GetAsync(job.RetryOf!, ct);
        if (source is null)
        {
            await FailAsync(job.Id, JobState.Validating, "retry_source_gone", $"Job {job.RetryOf} is gone (past its retention): nothing to retry.", ct);
            return;
        }

        var completed = await OutcomeIndicesAsync(source.Id, static o => o.Completed, ct);
        var items = 0;
        for (var start = 0; start < source.Items; start += StoreBatch)
        {
            var page = await store.GetItemsAsync(source.Id, start, StoreBatch, ct);
            var again = page.Where(i => !completed.Contains(i.Index)).ToList();
            await store.AddItemsAsync(job.Id, again, ct);
            items += again.Count;
        }

        await store.SetValidatedAsync(job.Id, items, items, source.Format, ct);
        if (items == 0)
        {
            await FailAsync(job.Id, JobState.Validating, ManifestErrorCodes.NoValidItems, $"Job {source.Id} has no failed items to run again.", ct);
        }
        else
        {
            await store.TryTransitionAsync(job.Id, JobState.Validating, JobState.InProgress, time.GetUtcNow(), null, null, ct);
        }
    }

    /// <summary>
    /// Publishes windows of encode commands while the job has room in its in-flight window
    /// (<see cref="IngestOptions.MaxInFlight"/>); false where it stopped for want of room, true otherwise (all
    /// published, or the job left <c>in_progress</c>).
    /// </summary>
    private async Task<bool> PublishAsync(JobRecord job, RunState run, CancellationToken ct)
    {
        var published = job.Published;
        while (published < job.Items)
        {
            // A cancel stops publishing at the next window.
            var current = await store.GetAsync(job.Id, ct);
            if (current is not { State: JobState.InProgress })
            {
                return true;
            }

            await MaybeFlushAsync(current, run, ct);

            // Sent and not yet terminal (invalid lines are terminal without being sent). Bounding this bounds what
            // a job holds anywhere at once, whatever its size: messages in the queues, and the tokens and KV
            // snapshots in Redis that wait for the next stage.
            var inFlight = published - (current.Terminal - current.Invalid);
            var room = Math.Min(_options.PublishWindow, _options.MaxInFlight - inFlight);
            if (room <= 0)
            {
                return false;
            }

            var items = await store.GetItemsAsync(job.Id, published, room, ct);
            if (items.Count == 0)
            {
                throw new InvalidOperationException($"Job {job.Id} records {job.Items} items but stores only {published}.");
            }

            var now = time.GetUtcNow();
            await Task.WhenAll(items.Select(item => dispatcher.SendAsync(
                new EncodeItem(job.Id, item.Index, item.CustomId, item.Prompt, item.Media, item.Sampling, now), ct)));

            // Recorded after the broker confirmed the window: a crash in between sends this window again, and the
            // stages' outputs are keyed by (job, item) and the terminal state recorded once, so nothing doubles.
            published += items.Count;
            await store.SetPublishedAsync(job.Id, published, ct);
        }

        logger.LogInformation("Job {JobId}: all {Items} items published", job.Id, job.Items);
        return true;
    }

    private async Task MaybeFlushAsync(JobRecord job, RunState run, CancellationToken ct)
    {
        var waiting = job.Terminal - job.Flushed;
        var now = time.GetUtcNow();
        if (waiting >= _options.FlushEveryItems || (waiting > 0 && now - run.LastFlush >= _options.FlushInterval))
        {
            await exporter.FlushAsync(job, ct);
            run.LastFlush = now;
        }
    }

    private async Task<bool> TryFinishCancelAsync(JobRecord job, CancellationToken ct)
    {
        if (!job.Validated)
        {
            // Cancelled while validating: what was read so far is the job.
            await store.SetValidatedAsync(job.Id, job.Items, job.Items + job.Invalid, job.Format, ct);
            return true;
        }

        var inFlight = job.Published - (job.Completed + job.Failed - job.Invalid);
        var since = job.StateTimes.TryGetValue(JobState.Cancelling, out var at) ? at : job.CreatedAt;
        var now = time.GetUtcNow();
        if (inFlight > 0 && now < since + _options.CancelGracePeriod)
        {
            return false;
        }

        await DropRemainingAsync(job, now, ct);
        var current = job;
        try
        {
            await FlushAllAsync(job.Id, ct);
            current = await store.GetAsync(job.Id, ct) ?? job;
            await exporter.ExportAsync(current, JobState.Cancelled, now, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException && !TransientFailures.IsTransient(e))
        {
            logger.LogError(e, "Job {JobId}: cannot write what it finished under {Output}", job.Id, SecretRedactor.Redact(job.OutputFolder));
            await store.TryTransitionAsync(job.Id, JobState.Cancelling, JobState.Failed, now, "export_failed", SecretRedactor.Redact(e.Message), ct);
            return true;
        }

        await store.TryTransitionAsync(job.Id, JobState.Cancelling, JobState.Cancelled, now, null, null, ct);
        logger.LogInformation("Job {JobId} cancelled: {Completed} items completed before it stopped", job.Id, current.Completed);
        return true;
    }

    private async Task DropRemainingAsync(JobRecord job, DateTimeOffset now, CancellationToken ct)
    {
        var terminal = await OutcomeIndicesAsync(job.Id, static _ => true, ct);
        for (var start = 0; start < job.Items; start += DropBatch)
        {
            var page = await store.GetItemsAsync(job.Id, start, DropBatch, ct);
            var drops = new List<Task<OutcomeRecording>>();
            for (var i = 0; i < page.Count; i++)
            {
                var item = page[i];
                if (terminal.Contains(item.Index))
                {
                    continue;
                }

                var message = start + i < job.Published
                    ? "The job was cancelled before this item finished."
                    : "The job was cancelled before this item was sent.";
                var outcome = new ItemOutcome(item.Index, item.CustomId, null, new ItemError(PipelineStages.Ingest, JobCoordinator.CancelledCode, message), now);
                drops.Add(store.RecordOutcomeAsync(job.Id, outcome, invalidLine: false, ct));
            }

            await Task.WhenAll(drops);
        }
    }

    /// <summary>The indices of the job's outcomes that <paramref name="which"/> picks, read a page at a time: a few bytes an item, not its outcome.</summary>
    private async Task<HashSet<int>> OutcomeIndicesAsync(string jobId, Func<ItemOutcome, bool> which, CancellationToken ct)
    {
        var indices = new HashSet<int>();
        await foreach (var page in store.ReadOutcomePagesAsync(jobId, OutcomePage, ct))
        {
            foreach (var outcome in page)
            {
                if (which(outcome))
                {
                    indices.Add(outcome.Index);
                }
            }
        }

        return indices;
    }

    private async Task FlushAllAsync(string jobId, CancellationToken ct)
    {
        while (await store.GetAsync(jobId, ct) is { } job && job.Flushed < job.Terminal)
        {
            if (!await exporter.FlushAsync(job, ct))
            {
                return;
            }
        }
    }

    private async Task FinalizeAsync(JobRecord job, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        try
        {
            await FlushAllAsync(job.Id, ct);
            job = await store.GetAsync(job.Id, ct) ?? job;
            await exporter.ExportAsync(job, JobState.Completed, now, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException && !TransientFailures.IsTransient(e))
        {
            logger.LogError(e, "Job {JobId}: cannot write its results under {Output}", job.Id, SecretRedactor.Redact(job.OutputFolder));
            await store.TryTransitionAsync(job.Id, JobState.Finalizing, JobState.Failed, now, "export_failed", SecretRedactor.Redact(e.Message), ct);
            return;
        }

        await store.TryTransitionAsync(job.Id, JobState.Finalizing, JobState.Completed, now, null, null, ct);
    }

    /// <summary>Fails the job before any item ran, exporting what validation found (errors.jsonl, summary.json) where the output is writable.</summary>
    private async Task FailAsync(string jobId, JobState from, string code, string message, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var job = await store.GetAsync(jobId, ct);
        if (job is null)
        {
            return;
        }

        try
        {
            await FlushAllAsync(jobId, ct);
            job = await store.GetAsync(jobId, ct) ?? job;
            await exporter.ExportAsync(job with { ErrorCode = code, ErrorMessage = message }, JobState.Failed, now, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException && !TransientFailures.IsTransient(e))
        {
            logger.LogWarning(e, "Job {JobId}: cannot write errors.jsonl and summary.json under {Output}", jobId, SecretRedactor.Redact(job.OutputFolder));
        }

        if (await store.TryTransitionAsync(jobId, from, JobState.Failed, now, code, message, ct))
        {
            logger.LogWarning("Job {JobId} failed: {Code}: {Message}", jobId, code, message);
        }
    }

    private sealed class RunState
    {
        public DateTimeOffset LastFlush { get; set; }
    }
}
