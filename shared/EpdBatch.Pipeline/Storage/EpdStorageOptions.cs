namespace EpdBatch.Pipeline.Storage;

/// <summary>Settings of the stores (section <c>Epd:Storage</c>); the connections themselves are <see cref="EpdConnectionOptions"/>.</summary>
public sealed class EpdStorageOptions
{
    public const string SectionName = "Epd:Storage";

    /// <summary>Values larger than this are split into chunks in Redis (a Redis string holds at most 512 MiB, and smaller parts keep one big value from stalling the connection).</summary>
    public int TensorChunkSizeBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>Root of the local-folder blob store in the embedded mode; the working folder where not set.</summary>
    public string? LocalRoot { get; set; }

    /// <summary>Retries of one store operation after a transient failure (a server briefly away or slow).</summary>
    public int MaxRetries { get; set; } = 4;

    /// <summary>Delay before the first retry; it doubles with each retry, with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest one try of a blob operation may take (a whole download or upload).</summary>
    public TimeSpan BlobTryTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>Longest one try of a Redis operation may take.</summary>
    public TimeSpan RedisTryTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public IReadOnlyList<string> GetValidationFailures()
    {
        var failures = new List<string>();
        if (TensorChunkSizeBytes is < 1024 or > 512 * 1024 * 1024)
        {
            failures.Add($"{SectionName}:{nameof(TensorChunkSizeBytes)} must be between 1024 and 536870912 (512 MiB), not {TensorChunkSizeBytes}.");
        }

        if (MaxRetries is < 0 or > 20)
        {
            failures.Add($"{SectionName}:{nameof(MaxRetries)} must be between 0 and 20, not {MaxRetries}.");
        }

        if (RetryBaseDelay <= TimeSpan.Zero)
        {
            failures.Add($"{SectionName}:{nameof(RetryBaseDelay)} must be positive, not {RetryBaseDelay}.");
        }

        if (BlobTryTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{SectionName}:{nameof(BlobTryTimeout)} must be positive, not {BlobTryTimeout}.");
        }

        if (RedisTryTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{SectionName}:{nameof(RedisTryTimeout)} must be positive, not {RedisTryTimeout}.");
        }

        return failures;
    }
}
