namespace EpdBatch.Ingest.Manifest;

/// <summary>An invalid manifest line: where, whose (if the line got as far as a custom id) and why.</summary>
/// <param name="Line">One-based line number.</param>
/// <param name="CustomId">The line's custom id, where it had a usable one.</param>
/// <param name="Code">One of <see cref="ManifestErrorCodes"/>.</param>
/// <param name="Message">One line for people.</param>
public sealed record ManifestLineError(int Line, string? CustomId, string Code, string Message);
