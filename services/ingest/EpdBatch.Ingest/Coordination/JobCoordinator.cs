using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using EpdBatch.Contracts;
using EpdBatch.Ingest.Jobs;
using EpdBatch.Ingest.Manifest;
using EpdBatch.Pipeline;
using EpdBatch.Pipeline.Progress;
using EpdBatch.Pipeline.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EpdBatch.Ingest.Coordination;

/// <summary>
/// The ingest's answers to commands (submit, cancel, retry) and to item events (completed, failed). It records;
/// the work that follows (validating, publishing, exporting) is the job's driver's (<see cref="JobDriver"/>), on
/// whichever replica holds the job's lease.
/// </summary>
internal sealed class JobCoordinator(
    IJobStore store,
    IBlobStore blobs,
    IJobCancellation cancellation,
    MediaAccessPolicy uris,
    JobSignals signals,
    IOptions<IngestOptions> options,
    TimeProvider time,
    ILogger<JobCoordinator> logger)
{
    /// <summary>The error code of an item dropped by a cancel (by the ingest, or skipped by a stage).</summary>
    public const string CancelledCode = IJobCancellation.CancelledCode;

    public async Task<CommandResult<JobAccepted>> SubmitAsync(SubmitJob command, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(command);
        var limits = options.Value;
        if (string.IsNullOrWhiteSpace(command.ManifestUri) || string.IsNullOrWhiteSpace(command.OutputUri))
        {
            return CommandResult<JobAccepted>.Reject(null, "invalid_request", "A job needs a manifest and an output prefix.");
        }

        // A SAS token on either URI is not needed (the store reads and writes with its own credentials): it goes
        // before anything is derived from the URIs or stored, so no job record holds it. The client drops it too.
        command = command with { ManifestUri = BlobUris.WithoutQuery(command.ManifestUri), OutputUri = BlobUris.WithoutQuery(command.OutputUri) };

        if (command.DefaultMaxTokens is { } max && (max < 1 || max > limits.MaxTokensLimit))
        {
            return CommandResult<JobAccepted>.Reject(null, "invalid_request", $"The default max_tokens must be between 1 and {limits.MaxTokensLimit}, not {max}.");
        }

        if (!uris.TryCheckAddress(command.OutputUri.TrimEnd('/') + "/job/" + JobExporter.ResultsFile, out _, out var outputProblem))
        {
            return CommandResult<JobAccepted>.Reject(null, "invalid_output_uri", $"Cannot write under '{SecretRedactor.Redact(command.OutputUri)}': {outputProblem}");
        }

        string key;
        try
        {
            key = command.IdempotencyKey is { Length: > 0 } given ? given : await DeriveKeyAsync(command, ct);
        }
        catch (BlobNotFoundException)
        {
            return CommandResult<JobAccepted>.Reject(null, ManifestErrorCodes.ManifestNotFound, $"No manifest at '{SecretRedactor.Redact(command.ManifestUri)}'.");
        }
        catch (InvalidBlobUriException e)
        {
            return CommandResult<JobAccepted>.Reject(null, "invalid_manifest_uri", e.Message);
        }

        var now = time.GetUtcNow();
        var job = new JobRecord
        {
            Id = JobIds.New(now),
            State = JobState.Validating,
            ManifestUri = command.ManifestUri,
            OutputUri = command.OutputUri,
            Model = command.Model,
            Strict = command.Strict,
            DefaultMaxTokens = command.DefaultMaxTokens ?? limits.DefaultMaxTokens,
            IdempotencyKey = key,
            Schedule = command.Schedule,
            ScheduledFor = command.ScheduledFor,
            CreatedAt = now,
            StateTimes = new Dictionary<JobState, DateTimeOffset> { [JobState.Validating] = now },
        };
        var creation = await store.CreateAsync(job, ct);
        if (creation.Created)
        {
            logger.LogInformation("Job {JobId} accepted: manifest {Manifest}, output {Output}", job.Id, SecretRedactor.Redact(job.ManifestUri), SecretRedactor.Redact(job.OutputFolder));
            signals.WakeSupervisor();
        }

        return CommandResult<JobAccepted>.Accept(new JobAccepted(creation.Job.Id, JobStateMachine.Name(creation.Job.State), !creation.Created));
    }

    public async Task<CommandResult<JobCancellationAccepted>> CancelAsync(string jobId, CancellationToken ct)
    {
        // Two tries: the driver may move the job between our read and our write.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var job = await store.GetAsync(jobId, ct);
            if (job is null)
            {
                return CommandResult<JobCancellationAccepted>.Reject(jobId, "job_not_found", $"No job {jobId}.");
            }

            if (JobStateMachine.IsTerminal(job.State) || job.State == JobState.Cancelling)
            {
                return CommandResult<JobCancellationAccepted>.Accept(new JobCancellationAccepted(job.Id, JobStateMachine.Name(job.State)));
            }

            if (!JobStateMachine.IsCancellable(job.State))
            {
                return CommandResult<JobCancellationAccepted>.Reject(jobId, "not_cancellable",
                    $"Job {jobId} is {JobStateMachine.Name(job.State)}: every item has finished and its results are being exported.");
            }

            // Marked first, so that no crash can leave a cancelling job whose queued items the stages still run.
            // A mark for a job that finishes before the transition below is harmless: it has nothing left to run.
            await cancellation.MarkCancelledAsync(jobId, options.Value.Retention, ct);
            if (await store.TryTransitionAsync(jobId, job.State, JobState.Cancelling, time.GetUtcNow(), null, null, ct))
            {
                logger.LogInformation("Job {JobId} cancelling (was {State})", jobId, JobStateMachine.Name(job.State));
                signals.WakeJob(jobId);
                return CommandResult<JobCancellationAccepted>.Accept(new JobCancellationAccepted(jobId, JobStateMachine.Name(JobState.Cancelling)));
            }
        }

        return CommandResult<JobCancellationAccepted>.Reject(jobId, "conflict", $"Job {jobId} kept changing state; try again.");
    }

    public async Task<CommandResult<JobAccepted>> RetryAsync(RetryJob command, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(command);
        var source = await store.GetAsync(command.JobId, ct);
        if (source is null)
        {
            return CommandResult<JobAccepted>.Reject(command.JobId, "job_not_found", $"No job {command.JobId}.");
        }

        if (!JobStateMachine.IsTerminal(source.State))
        {
            return CommandResult<JobAccepted>.Reject(command.JobId, "job_not_finished",
                $"Job {command.JobId} is {JobStateMachine.Name(source.State)}; retry it once it has finished.");
        }

        if (source.RetriedBy is { } previous && await store.GetAsync(previous, ct) is { } earlier && command.IdempotencyKey is null)
        {
            return CommandResult<JobAccepted>.Accept(new JobAccepted(earlier.Id, JobStateMachine.Name(earlier.State), true));
        }

        if (source.Items - source.Completed <= 0)
        {
            return CommandResult<JobAccepted>.Reject(command.JobId, "nothing_to_retry",
                source.Invalid > 0
                    ? $"Job {command.JobId} has no failed items to run again; its {source.Invalid} invalid manifest lines need a corrected manifest."
                    : $"Job {command.JobId} has no failed items.");
        }

        // Records made before SAS tokens were dropped on submit may still hold one: the new job keeps none.
        var output = BlobUris.WithoutQuery(command.OutputUri ?? source.OutputUri);
        if (!uris.TryCheckAddress(output.TrimEnd('/') + "/job/" + JobExporter.ResultsFile, out _, out var outputProblem))
        {
            return CommandResult<JobAccepted>.Reject(null, "invalid_output_uri", $"Cannot write under '{SecretRedactor.Redact(output)}': {outputProblem}");
        }

        var now = time.GetUtcNow();
        var job = new JobRecord
        {
            Id = JobIds.New(now),
            State = JobState.Validating,
            ManifestUri = BlobUris.WithoutQuery(source.ManifestUri),
            OutputUri = output,
            Model = source.Model,
            DefaultMaxTokens = source.DefaultMaxTokens,
            IdempotencyKey = command.IdempotencyKey ?? "retry:" + source.Id,
            RetryOf = source.Id,
            CreatedAt = now,
            StateTimes = new Dictionary<JobState, DateTimeOffset> { [JobState.Validating] = now },
        };
        var creation = await store.CreateAsync(job, ct);
        await store.SetRetriedByAsync(source.Id, creation.Job.Id, ct);
        if (creation.Created)
        {
            logger.LogInformation("Job {JobId} retries the failed items of {SourceId}", job.Id, source.Id);
            signals.WakeSupervisor();
        }

        return CommandResult<JobAccepted>.Accept(new JobAccepted(creation.Job.Id, JobStateMachine.Name(creation.Job.State), !creation.Created));
    }

    public Task<OutcomeRecording> RecordCompletedAsync(ItemCompleted message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        var result = new ItemResult([.. message.Tokens], message.Text, message.FinishReason, message.PromptTokens, message.Timings ?? StageTimings.None);
        return RecordAsync(message.JobId, new ItemOutcome(message.ItemIndex, message.CustomId, result, null, time.GetUtcNow()), ct);
    }

    public Task<OutcomeRecording> RecordFailedAsync(ItemFailed message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        var error = new ItemError(message.Stage, message.Code, message.Message);
        return RecordAsync(message.JobId, new ItemOutcome(message.ItemIndex, message.CustomId, null, error, time.GetUtcNow()), ct);
    }

    private async Task<OutcomeRecording> RecordAsync(string jobId, ItemOutcome outcome, CancellationToken ct)
    {
        var recorded = await store.RecordOutcomeAsync(jobId, outcome, invalidLine: false, ct);
        switch (recorded)
        {
            case OutcomeRecording.Recorded:
                signals.WakeJob(jobId);
                break;
            case OutcomeRecording.Duplicate:
                logger.LogDebug("Job {JobId} item {Index}: already terminal, duplicate ignored", jobId, outcome.Index);
                break;
            default:
                logger.LogWarning("Job {JobId} item {Index}: {Outcome}, ignored", jobId, outcome.Index, recorded);
                break;
        }

        return recorded;
    }

    /// <summary>The default idempotency key: a hash of the manifest's bytes, the model and every option that changes the output.</summary>
    private async Task<string> DeriveKeyAsync(SubmitJob command, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var manifest = await ManifestSource.OpenAsync(blobs, command.ManifestUri, ct))
        {
            var buffer = new byte[1 << 16];
            int read;
            while ((read = await manifest.ReadAsync(buffer, ct)) > 0)
            {
                hash.AppendData(buffer, 0, read);
            }
        }

        var settings = string.Create(CultureInfo.InvariantCulture,
            $"\nmodel={command.Model}\nout={command.OutputUri}\nstrict={command.Strict}\nmax_tokens={command.DefaultMaxTokens ?? options.Value.DefaultMaxTokens}");
        hash.AppendData(Encoding.UTF8.GetBytes(settings));
        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
