namespace EpdBatch.Ingest.Jobs;

/// <summary>A job as the store holds it: what was asked, where it is, and its counts.</summary>
public sealed record JobRecord
{
    public required string Id { get; init; }

    public required JobState State { get; init; }

    /// <summary>The manifest's URI or path; for a retry, the first job's manifest.</summary>
    public required string ManifestUri { get; init; }

    /// <summary>The output prefix as given; the job writes under <see cref="OutputFolder"/>.</summary>
    public required string OutputUri { get; init; }

    public string? Model { get; init; }

    public bool Strict { get; init; }

    public int DefaultMaxTokens { get; init; }

    public string? IdempotencyKey { get; init; }

    /// <summary>The job whose failed items this job runs again.</summary>
    public string? RetryOf { get; init; }

    /// <summary>The job that runs this job's failed items again.</summary>
    public string? RetriedBy { get; init; }

    public string? Schedule { get; init; }

    public DateTimeOffset? ScheduledFor { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the job entered each state it has been in.</summary>
    public IReadOnlyDictionary<JobState, DateTimeOffset> StateTimes { get; init; } = new Dictionary<JobState, DateTimeOffset>();

    /// <summary>Whether validation finished (the item list and <see cref="Total"/> are final).</summary>
    public bool Validated { get; init; }

    /// <summary>Manifest lines that were read (valid items and invalid lines); known once validated.</summary>
    public int Total { get; init; }

    /// <summary>Valid items stored for publishing.</summary>
    public int Items { get; init; }

    /// <summary>Invalid manifest lines (counted in <see cref="Failed"/> too).</summary>
    public int Invalid { get; init; }

    public int Completed { get; init; }

    public int Failed { get; init; }

    /// <summary>Items (in manifest order) whose encode command has been sent.</summary>
    public int Published { get; init; }

    public long PromptTokens { get; init; }

    public long CompletionTokens { get; init; }

    /// <summary>Terminal items already written to result part files.</summary>
    public long Flushed { get; init; }

    /// <summary>Part files written so far.</summary>
    public int Parts { get; init; }

    public string? Format { get; init; }

    public string? ErrorCode { get; init; }

    public string? ErrorMessage { get; init; }

    /// <summary><c>&lt;output&gt;/&lt;job-id&gt;/</c>: where results.jsonl, errors.jsonl and summary.json go.</summary>
    public string OutputFolder => OutputUri.TrimEnd('/') + "/" + Id + "/";

    /// <summary>Items with a terminal state (completed or failed), invalid lines included.</summary>
    public int Terminal => Completed + Failed;
}
