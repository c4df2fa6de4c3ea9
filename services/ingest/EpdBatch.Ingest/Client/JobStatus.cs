using EpdBatch.Ingest.Jobs;
using EpdBatch.Pipeline;

namespace EpdBatch.Ingest.Client;

/// <summary>A job as <c>epd status</c> shows it: state, counts, progress through the stages, timestamps, links.</summary>
public sealed record JobStatus
{
    public required string JobId { get; init; }

    public required JobState State { get; init; }

    /// <summary><c>validating</c>, <c>in_progress</c>, …</summary>
    public string StateName => JobStateMachine.Name(State);

    public required string ManifestUri { get; init; }

    /// <summary>The job's output folder, <c>&lt;output&gt;/&lt;job-id&gt;/</c>, redacted.</summary>
    public required string OutputUri { get; init; }

    public string? Model { get; init; }

    /// <summary>Manifest lines (valid items and invalid lines); 0 until validation finishes.</summary>
    public int Total { get; init; }

    /// <summary>Valid items stored so far.</summary>
    public int Items { get; init; }

    public int Completed { get; init; }

    /// <summary>Failed items, invalid lines and cancelled items included.</summary>
    public int Failed { get; init; }

    public int InvalidLines { get; init; }

    /// <summary>Items whose encode command has been sent.</summary>
    public int Published { get; init; }

    public long PromptTokens { get; init; }

    public long CompletionTokens { get; init; }

    /// <summary>Items that left each stage so far (<c>encoder</c>, <c>prefill</c>, <c>decoder</c>), best effort.</summary>
    public IReadOnlyDictionary<string, long> StageCounts { get; init; } = new Dictionary<string, long>();

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the job entered each state, by state name.</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> Timestamps { get; init; } = new Dictionary<string, DateTimeOffset>();

    public string? IdempotencyKey { get; init; }

    public string? RetryOf { get; init; }

    public string? RetriedBy { get; init; }

    public string? Schedule { get; init; }

    public DateTimeOffset? ScheduledFor { get; init; }

    /// <summary>Why the job failed, where it did.</summary>
    public string? ErrorCode { get; init; }

    public string? ErrorMessage { get; init; }

    /// <summary>Result part files written so far.</summary>
    public int Parts { get; init; }

    /// <summary>Terminal items over all items, 0 to 1; 0 until validation finishes.</summary>
    public double Progress => Total == 0 ? 0 : Math.Clamp((double)(Completed + Failed) / Total, 0, 1);

    public bool IsFinished => JobStateMachine.IsTerminal(State);

    internal static JobStatus From(JobRecord job, IReadOnlyDictionary<string, long> stages) => new()
    {
        JobId = job.Id,
        State = job.State,
        // Status is shown to people (epd status, its --json, epd submit, the run summary): a SAS token or password
        // in a URI or a message stays out of it. (New jobs keep no SAS token; a record made before may.)
        ManifestUri = SecretRedactor.Redact(job.ManifestUri),
        OutputUri = SecretRedactor.Redact(job.OutputFolder),
        Model = job.Model,
        Total = job.Total,
        Items = job.Items,
        Completed = job.Completed,
        Failed = job.Failed,
        InvalidLines = job.Invalid,
        Published = job.Published,
        PromptTokens = job.PromptTokens,
        CompletionTokens = job.CompletionTokens,
        StageCounts = stages,
        CreatedAt = job.CreatedAt,
        Timestamps = job.StateTimes.OrderBy(static p => p.Value).ToDictionary(static p => JobStateMachine.Name(p.Key), static p => p.Value, StringComparer.Ordinal),
        IdempotencyKey = job.IdempotencyKey,
        RetryOf = job.RetryOf,
        RetriedBy = job.RetriedBy,
        Schedule = job.Schedule,
        ScheduledFor = job.ScheduledFor,
        ErrorCode = job.ErrorCode,
        ErrorMessage = job.ErrorMessage is null ? null : SecretRedactor.Redact(job.ErrorMessage),
        Parts = job.Parts,
    };
}
