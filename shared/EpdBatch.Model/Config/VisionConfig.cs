using System.Text.Json.Nodes;

namespace EpdBatch.Model.Config;

/// <summary>The vision tower's shape, with the Hugging Face class defaults filled in for fields a config leaves out.</summary>
public sealed record VisionConfig
{
    public required VisionArchitecture Architecture { get; init; }
    public required int HiddenSize { get; init; }
    public required int IntermediateSize { get; init; }
    public required int NumHiddenLayers { get; init; }
    public required int NumAttentionHeads { get; init; }
    public required int ImageSize { get; init; }
    public required int PatchSize { get; init; }
    public required int NumChannels { get; init; }
    public required string HiddenAct { get; init; }
    public required double LayerNormEps { get; init; }

    public int HeadDim => HiddenSize / NumAttentionHeads;
    public int GridSize => ImageSize / PatchSize;
    public int NumPatches => GridSize * GridSize;

    /// <summary>Sequence length inside the tower: CLIP prepends a class token, SigLIP does not.</summary>
    public int SequenceLength => NumPatches + (Architecture == VisionArchitecture.Clip ? 1 : 0);

    internal static VisionConfig Parse(JsonObject? node)
    {
        node ??= new JsonObject();
        var modelType = node.Str("model_type") ?? "clip_vision_model";
        var architecture = modelType switch
        {
            "clip_vision_model" or "clip" => VisionArchitecture.Clip,
            "siglip_vision_model" or "siglip" => VisionArchitecture.Siglip,
            _ => throw new ModelFormatException($"vision_config.model_type '{modelType}' is not supported (CLIP and SigLIP are)"),
        };
        var isClip = architecture == VisionArchitecture.Clip;
        var config = new VisionConfig
        {
            Architecture = architecture,
            HiddenSize = node.Int("hidden_size") ?? 768,
            IntermediateSize = node.Int("intermediate_size") ?? 3072,
            NumHiddenLayers = node.Int("num_hidden_layers") ?? 12,
            NumAttentionHeads = node.Int("num_attention_heads") ?? 12,
            ImageSize = node.Int("image_size") ?? 224,
            PatchSize = node.Int("patch_size") ?? (isClip ? 32 : 16),
            NumChannels = node.Int("num_channels") ?? 3,
            HiddenAct = node.Str("hidden_act") ?? (isClip ? "quick_gelu" : "gelu_pytorch_tanh"),
            LayerNormEps = node.Double("layer_norm_eps") ?? (isClip ? 1e-5 : 1e-6),
        };
        if (config.HiddenSize % config.NumAttentionHeads != 0)
        {
            throw new ModelFormatException($"vision_config: hidden_size {config.HiddenSize} is not a multiple of num_attention_heads {config.NumAttentionHeads}");
        }
        // A remainder is fine: the strided patch convolution drops it (OneVision: 384 px / 14 → a 27×27 grid).
        return config;
    }
}
