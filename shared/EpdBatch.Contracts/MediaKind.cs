namespace EpdBatch.Contracts;

/// <summary>What a media reference points at; videos are sampled to frames by the encoder.</summary>
public enum MediaKind
{
    Image,
    Video,
}
