namespace EpdBatch.Ingest.Manifest;

/// <summary>One non-blank manifest line, read: exactly one of <see cref="Item"/> and <see cref="Error"/> is set.</summary>
public sealed record ManifestEntry(ManifestItem? Item, ManifestLineError? Error)
{
    public int Line => Item?.Line ?? Error!.Line;
}
