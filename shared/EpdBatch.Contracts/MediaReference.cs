namespace EpdBatch.Contracts;

/// <summary>A media file in blob storage (or, in the embedded mode, a local folder), by URI: never its bytes.</summary>
public sealed record MediaReference(MediaKind Kind, string Uri);
