using System.Text.Json.Nodes;

namespace EpdBatch.Model.Config;

/// <summary>A llava-hf <c>config.json</c>, read tolerantly across transformers 4.x and 5.x spellings.</summary>
public sealed record LlavaConfig
{
    public required MultimodalArchitecture Architecture { get; init; }
    public required string ModelType { get; init; }
    public required VisionConfig Vision { get; init; }
    public required TextConfig Text { get; init; }
    public required int ImageTokenId { get; init; }
    public int? VideoTokenId { get; init; }

    /// <summary>Tower layers whose hidden states feed the projector (negative counts from the end), concatenated on the last dimension.</summary>
    public required IReadOnlyList<int> VisionFeatureLayers { get; init; }

    /// <summary>"default" drops CLIP's class token, "full" keeps every position.</summary>
    public required string VisionFeatureSelectStrategy { get; init; }

    public required string ProjectorHiddenAct { get; init; }
    public required bool ProjectorBias { get; init; }

    /// <summary>Multimodal tokens one image becomes after the projector.</summary>
    public int TokensPerImage => VisionFeatureSelectStrategy == "default" && Vision.Architecture == VisionArchitecture.Clip
        ? Vision.NumPatches
        : Vision.SequenceLength;

    public static LlavaConfig Load(string modelDirectory)
    {
        var path = Path.Combine(modelDirectory, "config.json");
        if (!File.Exists(path))
        {
            throw new ModelFormatException($"{path}: not found (a llava-hf model folder holds config.json and model.safetensors)");
        }
        JsonObject root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new ModelFormatException($"{path}: not a JSON object");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new ModelFormatException($"{path}: invalid JSON ({e.Message})", e);
        }
        return Parse(root, path);
    }

    public static LlavaConfig Parse(JsonObject root, string source = "config.json")
    {
        var modelType = root.Str("model_type") ?? "llava";
        var architecture = modelType switch
        {
            "llava" => MultimodalArchitecture.Llava,
            "llava_onevision" => MultimodalArchitecture.LlavaOnevision,
            "llava_next_video" => MultimodalArchitecture.LlavaNextVideo,
            _ => throw new ModelFormatException($"{source}: model_type '{modelType}' is not supported (llava, llava_onevision, llava_next_video are)"),
        };
        var vision = VisionConfig.Parse(root["vision_config"] as JsonObject);
        var text = TextConfig.Parse(root["text_config"] as JsonObject, root);
        var layers = root.IntList("vision_feature_layer");
        var strategy = root.Str("vision_feature_select_strategy") ?? "default";
        if (strategy is not ("default" or "full"))
        {
            throw new ModelFormatException($"{source}: vision_feature_select_strategy '{strategy}' is not supported (default, full)");
        }
        var config = new LlavaConfig
        {
            Architecture = architecture,
            ModelType = modelType,
            Vision = vision,
            Text = text,
            ImageTokenId = root.Int("image_token_index") ?? root.Int("image_token_id") ?? (architecture == MultimodalArchitecture.Llava ? 32000 : 151646),
            VideoTokenId = root.Int("video_token_index") ?? root.Int("video_token_id"),
            VisionFeatureLayers = layers.Count > 0 ? layers : [-2],
            VisionFeatureSelectStrategy = strategy,
            ProjectorHiddenAct = root.Str("projector_hidden_act") ?? "gelu",
            ProjectorBias = root.Bool("multimodal_projector_bias") ?? true,
        };
        foreach (var layer in config.VisionFeatureLayers)
        {
            var count = config.TowerLayersFor(layer);
            if (count < 0 || count > vision.NumHiddenLayers)
            {
                throw new ModelFormatException($"{source}: vision_feature_layer {layer} is outside a {vision.NumHiddenLayers}-layer tower");
            }
        }
        return config;
    }

    /// <summary>
    /// How many tower layers must run to produce hidden_states[layer]: hidden_states[0] is the embeddings, so
    /// -2 on a 24-layer tower means 23 layers.
    /// </summary>
    public int TowerLayersFor(int layer) => layer < 0 ? Vision.NumHiddenLayers + 1 + layer : layer;
}
