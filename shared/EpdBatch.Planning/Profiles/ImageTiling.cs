namespace EpdBatch.Planning.Profiles;

/// <summary>How an image larger than the vision tower's resolution becomes tower inputs.</summary>
public enum ImageTiling
{
    /// <summary>llava-1.5: every image is resized to the tower's resolution: one tower input.</summary>
    Resize,

    /// <summary>
    /// LLaVA-NeXT / OneVision "anyres", InternVL dynamic tiling: a grid of tower-sized tiles covering the image
    /// (⌈size / resolution⌉² of them) plus one downscaled overview tile.
    /// </summary>
    Tiles,
}
