namespace EpdBatch.Ingest.Client;

/// <summary>What to run: a manifest, where to write, and the options of <c>epd submit</c>.</summary>
/// <param name="ManifestUri">A blob URI (<c>az://…</c>, <c>https://…</c>) or, in the embedded mode, a local path.</param>
/// <param name="OutputUri">Prefix under which the job writes <c>&lt;job-id&gt;/results.jsonl</c>, <c>errors.jsonl</c>, <c>summary.json</c>.</param>
public sealed record JobSubmission(string ManifestUri, string OutputUri)
{
    /// <summary>The same key submitted again returns the existing job; null derives one from the manifest's content, the model and these options.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>Fail the whole job on any invalid manifest line.</summary>
    public bool Strict { get; init; }

    /// <summary>Token limit of items that give none; null takes the ingest's <see cref="IngestOptions.DefaultMaxTokens"/>.</summary>
    public int? DefaultMaxTokens { get; init; }

    /// <summary>The model's name, written in results and the summary.</summary>
    public string? Model { get; init; }
}
