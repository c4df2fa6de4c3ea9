using EpdBatch.Contracts;
using EpdBatch.Ingest.Jobs;
using EpdBatch.Pipeline.Progress;
using EpdBatch.Pipeline.Storage;
using MassTransit;
using Microsoft.Extensions.Options;

namespace EpdBatch.Ingest.Client;

/// <summary>
/// <see cref="IJobClient"/>: commands by request and reply to the ingest's command queue (sent to that queue, not
/// published, so that only ingest replicas see them), reads from the job store and the stage counters.
/// </summary>
internal sealed class JobClient(IBus bus, IJobStore store, IStageProgress progress, IOptions<IngestOptions> options, TimeProvider time) : IJobClient
{
    private readonly IngestOptions _options = options.Value;

    public async Task<JobStatus> SubmitAsync(JobSubmission submission, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(submission);
        var command = new SubmitJob(submission.ManifestUri, submission.OutputUri, submission.IdempotencyKey, submission.Strict,
            submission.DefaultMaxTokens, submission.Model, null, null, time.GetUtcNow());
        return await SubmitAsync(command, ct);
    }

    /// <summary>Submits a prepared command (a schedule's run-now sets the schedule and slot).</summary>
    internal async Task<JobStatus> SubmitAsync(SubmitJob command, CancellationToken ct)
    {
        // The ingest needs no SAS token (its store has its own credentials): it does not travel through the broker.
        command = command with { ManifestUri = BlobUris.WithoutQuery(command.ManifestUri), OutputUri = BlobUris.WithoutQuery(command.OutputUri) };
        var accepted = await RequestAsync<SubmitJob, JobAccepted>(command, ct);
        return await RequireAsync(accepted.JobId, ct);
    }

    public async Task<JobStatus?> GetAsync(string jobId, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(jobId);
        var job = await store.GetAsync(jobId, ct);
        return job is null ? null : JobStatus.From(job, await progress.GetAsync(jobId, ct));
    }

    public async Task<IReadOnlyList<JobStatus>> ListAsync(int limit, CancellationToken ct)
    {
        var jobs = await store.ListAsync(limit, ct);
        var stages = await Task.WhenAll(jobs.Select(j => progress.GetAsync(j.Id, ct)));
        return jobs.Select((j, i) => JobStatus.From(j, stages[i])).ToList();
    }

    public async Task<JobStatus> CancelAsync(string jobId, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(jobId);
        var accepted = await RequestAsync<CancelJob, JobCancellationAccepted>(new CancelJob(jobId, time.GetUtcNow()), ct);
        return await RequireAsync(accepted.JobId, ct);
    }

    public async Task<JobStatus> RetryAsync(string jobId, string? outputUri, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(jobId);
        var accepted = await RequestAsync<RetryJob, JobAccepted>(new RetryJob(jobId, outputUri is null ? null : BlobUris.WithoutQuery(outputUri), null, time.GetUtcNow()), ct);
        return await RequireAsync(accepted.JobId, ct);
    }

    public async Task<JobStatus> WaitAsync(string jobId, TimeSpan pollInterval, CancellationToken ct)
    {
        while (true)
        {
            var status = await RequireAsync(jobId, ct);
            if (status.IsFinished)
            {
                return status;
            }

            await Task.Delay(pollInterval, time, ct);
        }
    }

    private async Task<JobStatus> RequireAsync(string jobId, CancellationToken ct) =>
        await GetAsync(jobId, ct) ?? throw new JobRejectedException(jobId, "job_not_found", $"No job {jobId}.");

    private async Task<TReply> RequestAsync<TCommand, TReply>(TCommand command, CancellationToken ct)
        where TCommand : class
        where TReply : class
    {
        var timeout = _options.RequestTimeout;
        var client = bus.CreateRequestClient<TCommand>(new Uri("queue:" + _options.JobQueue), RequestTimeout.After(ms: (int)timeout.TotalMilliseconds));
        Response<TReply, JobRejected> response;
        try
        {
            response = await client.GetResponse<TReply, JobRejected>(command, ct);
        }
        catch (RequestTimeoutException e)
        {
            throw new IngestUnavailableException(
                $"No ingest service answered on queue '{_options.JobQueue}' within {timeout.TotalSeconds:0}s: is one running against the same EPD_RABBITMQ and EPD_REDIS?", e);
        }

        if (response.Is(out Response<JobRejected>? rejected))
        {
            throw new JobRejectedException(rejected.Message.JobId, rejected.Message.Code, rejected.Message.Message);
        }

        return response.Is(out Response<TReply>? reply)
            ? reply.Message
            : throw new InvalidOperationException($"The ingest answered {typeof(TCommand).Name} with neither {typeof(TReply).Name} nor JobRejected.");
    }
}
