namespace EpdBatch.Contracts;

/// <summary>One media file's multimodal tokens, by their key in the tensor store (claim check).</summary>
/// <param name="Kind">What the tokens came from.</param>
/// <param name="StoreKey">Key of the tokens in the tensor store (<c>mm:&lt;job&gt;:&lt;item&gt;:&lt;n&gt;</c> or a media-cache key).</param>
/// <param name="TokenCount">How many multimodal tokens the prompt's placeholder expands to.</param>
public sealed record EncodedMedia(MediaKind Kind, string StoreKey, int TokenCount);
