namespace EpdBatch.Contracts;

/// <summary>A media file in blob storage (or, in the embedded mode, a local folder), by URI: never its bytes.</summary>
/// <param name="Kind">Image or video.</param>
/// <param name="Uri">Where the file is.</param>
/// <param name="Frames">
/// For a video, the frames the item asked to sample (manifest <c>video_frames</c>, or <c>num_frames</c> in an OpenAI
/// line's <c>mm_processor_kwargs</c>); null takes the encoder's <c>Epd:Video:DefaultFrames</c>. Always null for images.
/// </param>
public sealed record MediaReference(MediaKind Kind, string Uri, int? Frames = null);
