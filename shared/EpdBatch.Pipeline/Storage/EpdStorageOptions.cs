namespace EpdBatch.Pipeline.Storage;

/// <summary>Settings of the stores (section <c>Epd:Storage</c>); the connections themselves are <see cref="EpdConnectionOptions"/>.</summary>
public sealed class EpdStorageOptions
{
    public const string SectionName = "Epd:Storage";

    /// <summary>Values larger than this are split into chunks in Redis (a Redis string holds at most 512 MiB, and smaller parts keep one big value from stalling the connection).</summary>
    public int TensorChunkSizeBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>
    /// Azure mode: a blob written a piece at a time (the final <c>results.jsonl</c> and <c>errors.jsonl</c> of a job)
    /// is uploaded in blocks of this size, one block buffered at a time per blob; a block blob holds at most 50,000
    /// blocks, so 4 MiB blocks allow 195 GiB.
    /// </summary>
    public int BlobBlockSizeBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Root of the local-folder blob store in the embedded mode; the working folder where not set.</summary>
    public string? LocalRoot { get; set; }

    /// <summary>
    /// Embedded mode: the folder media paths must lie under (after symbolic links are followed); <see cref="LocalRoot"/>
    /// (or the working folder) where not set. Results may still be written outside it.
    /// </summary>
    public string? MediaRoot { get; set; }

    /// <summary>
    /// Azure mode: the containers media may be read from, comma-separated (e.g. <c>media,epd-input</c>); empty allows
    /// every container of the configured account. Checked at ingest and again by the encoder before it downloads.
    /// </summary>
    public string? MediaContainers { get; set; }

    /// <summary>The names in <see cref="MediaContainers"/>, trimmed; empty where every container is allowed.</summary>
    public IReadOnlyList<string> MediaContainerList =>
        (MediaContainers ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

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

        if (BlobBlockSizeBytes is < 1024 or > 256 * 1024 * 1024)
        {
            failures.Add($"{SectionName}:{nameof(BlobBlockSizeBytes)} must be between 1024 and 268435456 (256 MiB), not {BlobBlockSizeBytes}.");
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

        foreach (var container in MediaContainerList)
        {
            if (!BlobPaths.IsContainerName(container))
            {
                failures.Add($"{SectionName}:{nameof(MediaContainers)} holds '{container}', which is not a container name (3 to 63 lowercase letters, digits and single hyphens).");
            }
        }

        if (MediaRoot is not null && !Directory.Exists(MediaRoot))
        {
            failures.Add($"{SectionName}:{nameof(MediaRoot)} names a folder that does not exist: '{MediaRoot}'.");
        }

        return failures;
    }
}
