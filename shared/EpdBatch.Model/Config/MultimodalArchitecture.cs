namespace EpdBatch.Model.Config;

/// <summary>How a checkpoint turns vision features into language-model tokens.</summary>
public enum MultimodalArchitecture
{
    /// <summary>llava-1.5: one image at the tower's resolution, projector output as is.</summary>
    Llava,

    /// <summary>LLaVA-OneVision: videos are pooled to half the patch grid after the projector, plus one image_newline per video.</summary>
    LlavaOnevision,

    /// <summary>LLaVA-NeXT-Video: video frames are 2×2 average-pooled before the projector, no newline.</summary>
    LlavaNextVideo,
}
