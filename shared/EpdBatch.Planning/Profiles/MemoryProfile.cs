namespace EpdBatch.Planning.Profiles;

/// <summary>
/// What a GPU holds, for the planner's memory check: a layout whose weights, KV cache and activations do not fit
/// is skipped. Colocated layouts hold the vision tower and the language model on one device, so they have less
/// room for KV cache than a decoder that holds the language model alone (the EPD paper's memory argument).
/// </summary>
/// <param name="DeviceBytes">Usable memory of one device; 0 means unknown and turns the memory check off.</param>
/// <param name="VisionWeightBytes">Vision tower + projector weights in the runtime dtype.</param>
/// <param name="LanguageWeightBytes">Language model weights in the runtime dtype.</param>
/// <param name="EncoderActivationBytesPerImage">Peak working memory per image (tile) of an encoder batch (estimate).</param>
/// <param name="PrefillActivationBytesPerToken">Peak working memory per prompt token of a prefill batch (estimate).</param>
public sealed record MemoryProfile(
    long DeviceBytes,
    long VisionWeightBytes,
    long LanguageWeightBytes,
    long EncoderActivationBytesPerImage,
    long PrefillActivationBytesPerToken)
{
    /// <summary>No memory check.</summary>
    public static MemoryProfile Unknown { get; } = new(0, 0, 0, 0, 0);

    public bool IsKnown => DeviceBytes > 0;
}
