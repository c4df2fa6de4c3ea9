using System.Text.Json.Nodes;

namespace EpdBatch.Bench;

/// <summary>
/// The benchmark shapes, written as llava-hf <c>config.json</c> files (the field spellings transformers 5.x writes,
/// so <c>hf_peer.py make</c> can build the same model from them). These configs are the one source of truth for
/// the shapes; the weights come from <c>make-model</c> (CPU runs) or from transformers (<c>hf_peer.py make</c>).
/// </summary>
internal static class ModelShapes
{
    private static readonly double[] s_clipMean = [0.48145466, 0.4578275, 0.40821073];
    private static readonly double[] s_clipStd = [0.26862954, 0.26130258, 0.27577711];
    private static readonly double[] s_half = [0.5, 0.5, 0.5];

    public static IReadOnlyList<string> Names { get; } = ["tiny", "cpu-mid", "llava-1.5-7b", "onevision-0.5b"];

    public static ModelShape Get(string name, string dtype) => name switch
    {
        "tiny" => Llava(name, "tiny CLIP (56 px, patch 14, 3 layers × 64) + Llama (3 layers × 64, vocab 1000): for smoke tests",
            dtype,
            Clip(hidden: 64, intermediate: 128, layers: 3, heads: 4, image: 56, patch: 14),
            Llama(hidden: 64, intermediate: 160, layers: 3, heads: 4, kvHeads: 2, vocab: 1000, maxPositions: 512),
            imageToken: 999, padToken: null),
        "cpu-mid" => Llava(name,
            "CLIP-B/16-like tower (224 px, patch 16 → 196 tokens, 12 layers × 768) + Llama (4 layers × 512, 8 heads, 2 KV heads, vocab 32000)",
            dtype,
            Clip(hidden: 768, intermediate: 3072, layers: 12, heads: 12, image: 224, patch: 16),
            Llama(hidden: 512, intermediate: 1408, layers: 4, heads: 8, kvHeads: 2, vocab: 32000, maxPositions: 2048),
            // vocab 32000 has no spare id above the text vocabulary, so the image placeholder takes the last id.
            imageToken: 31999, padToken: null),
        "llava-1.5-7b" => Llava(name,
            "llava-1.5-7b: CLIP ViT-L/14-336 (24 layers × 1024, 576 tokens) + Llama-2-7B (32 layers × 4096, vocab 32064)",
            dtype,
            Clip(hidden: 1024, intermediate: 4096, layers: 24, heads: 16, image: 336, patch: 14),
            Llama(hidden: 4096, intermediate: 11008, layers: 32, heads: 32, kvHeads: 32, vocab: 32064, maxPositions: 4096),
            imageToken: 32000, padToken: 32001),
        "onevision-0.5b" => OneVision(dtype),
        _ => throw new ArgumentException($"unknown shape '{name}' (known: {string.Join(", ", Names)})"),
    };

    private static ModelShape Llava(string name, string description, string dtype, JsonObject vision, JsonObject text, int imageToken, int? padToken)
    {
        var imageSize = (int)vision["image_size"]!;
        var patch = (int)vision["patch_size"]!;
        var tokens = imageSize / patch * (imageSize / patch);
        var config = new JsonObject
        {
            ["architectures"] = new JsonArray("LlavaForConditionalGeneration"),
            ["model_type"] = "llava",
            ["dtype"] = DTypeName(dtype),
            ["image_token_index"] = imageToken,
            ["image_seq_length"] = tokens,
            ["projector_hidden_act"] = "gelu",
            ["multimodal_projector_bias"] = true,
            ["vision_feature_layer"] = -2,
            ["vision_feature_select_strategy"] = "default",
            ["tie_word_embeddings"] = false,
            ["text_config"] = text,
            ["vision_config"] = vision,
        };
        if (padToken is { } pad)
        {
            config["pad_token_id"] = pad;
        }
        var generation = new JsonObject { ["bos_token_id"] = 1, ["eos_token_id"] = 2 };
        if (padToken is { } p)
        {
            generation["pad_token_id"] = p;
        }
        var preprocessor = new JsonObject
        {
            ["image_processor_type"] = "CLIPImageProcessor",
            ["do_resize"] = true,
            ["size"] = new JsonObject { ["shortest_edge"] = imageSize },
            ["resample"] = 3,
            ["do_center_crop"] = true,
            ["crop_size"] = new JsonObject { ["height"] = imageSize, ["width"] = imageSize },
            ["do_rescale"] = true,
            ["rescale_factor"] = 1.0 / 255,
            ["do_normalize"] = true,
            ["image_mean"] = Array(s_clipMean),
            ["image_std"] = Array(s_clipStd),
            ["do_convert_rgb"] = true,
        };
        return new ModelShape(name, description, config, generation, preprocessor, null);
    }

    /// <summary>
    /// LLaVA-OneVision-0.5B: SigLIP-400M + Qwen2-0.5B. The tower's image_size is 378 rather than the published 384:
    /// both give the same 27 × 27 patch grid (the patch convolution drops the 384 − 378 remainder), so the compute is
    /// identical, and the runtime's config reader requires image_size to be a multiple of patch_size.
    /// </summary>
    private static ModelShape OneVision(string dtype)
    {
        const int imageSize = 378;
        var vision = new JsonObject
        {
            ["model_type"] = "siglip_vision_model",
            ["hidden_size"] = 1152,
            ["intermediate_size"] = 4304,
            ["num_hidden_layers"] = 27,
            ["num_attention_heads"] = 16,
            ["image_size"] = imageSize,
            ["patch_size"] = 14,
            ["num_channels"] = 3,
            ["hidden_act"] = "gelu_pytorch_tanh",
            ["layer_norm_eps"] = 1e-6,
            ["vision_use_head"] = false,
            ["initializer_range"] = 0.02,
        };
        var text = new JsonObject
        {
            ["model_type"] = "qwen2",
            ["hidden_size"] = 896,
            ["intermediate_size"] = 4864,
            ["num_hidden_layers"] = 24,
            ["num_attention_heads"] = 14,
            ["num_key_value_heads"] = 2,
            ["head_dim"] = 64,
            ["vocab_size"] = 151936,
            ["max_position_embeddings"] = 32768,
            ["rms_norm_eps"] = 1e-6,
            ["rope_parameters"] = new JsonObject { ["rope_type"] = "default", ["rope_theta"] = 1000000.0 },
            ["hidden_act"] = "silu",
            ["tie_word_embeddings"] = true,
            ["use_sliding_window"] = false,
            ["bos_token_id"] = 151643,
            ["eos_token_id"] = 151645,
            ["initializer_range"] = 0.02,
        };
        var config = new JsonObject
        {
            ["architectures"] = new JsonArray("LlavaOnevisionForConditionalGeneration"),
            ["model_type"] = "llava_onevision",
            ["dtype"] = DTypeName(dtype),
            ["image_token_index"] = 151646,
            ["video_token_index"] = 151647,
            ["projector_hidden_act"] = "gelu",
            ["multimodal_projector_bias"] = true,
            ["vision_feature_layer"] = -1,
            ["vision_feature_select_strategy"] = "full",
            ["vision_aspect_ratio"] = "anyres_max_9",
            ["image_grid_pinpoints"] = new JsonArray(new JsonArray(imageSize, imageSize)),
            ["tie_word_embeddings"] = true,
            ["text_config"] = text,
            ["vision_config"] = vision,
        };
        var generation = new JsonObject { ["bos_token_id"] = 151643, ["eos_token_id"] = new JsonArray(151645, 151643) };
        JsonObject Processor(string type) => new()
        {
            [type.EndsWith("VideoProcessor", StringComparison.Ordinal) ? "video_processor_type" : "image_processor_type"] = type,
            ["do_resize"] = true,
            ["size"] = new JsonObject { ["height"] = imageSize, ["width"] = imageSize },
            ["resample"] = 3,
            ["do_rescale"] = true,
            ["rescale_factor"] = 1.0 / 255,
            ["do_normalize"] = true,
            ["image_mean"] = Array(s_half),
            ["image_std"] = Array(s_half),
            ["do_convert_rgb"] = true,
        };
        return new ModelShape("onevision-0.5b",
            "llava-onevision-0.5b: SigLIP-400M (27 layers × 1152, 27×27 = 729 tokens) + Qwen2-0.5B (24 layers × 896, 14 heads, 2 KV heads, vocab 151936, tied)",
            config, generation, Processor("SiglipImageProcessor"), Processor("LlavaOnevisionVideoProcessor"));
    }

    private static JsonObject Clip(int hidden, int intermediate, int layers, int heads, int image, int patch) => new()
    {
        ["model_type"] = "clip_vision_model",
        ["hidden_size"] = hidden,
        ["intermediate_size"] = intermediate,
        ["num_hidden_layers"] = layers,
        ["num_attention_heads"] = heads,
        ["image_size"] = image,
        ["patch_size"] = patch,
        ["num_channels"] = 3,
        ["hidden_act"] = "quick_gelu",
        ["layer_norm_eps"] = 1e-5,
        ["projection_dim"] = 768,
        ["initializer_range"] = 0.02,
        // initializer_factor is left out: System.Text.Json writes 1.0 as 1, which transformers 5.17's strict config refuses.
    };

    private static JsonObject Llama(int hidden, int intermediate, int layers, int heads, int kvHeads, int vocab, int maxPositions) => new()
    {
        ["model_type"] = "llama",
        ["hidden_size"] = hidden,
        ["intermediate_size"] = intermediate,
        ["num_hidden_layers"] = layers,
        ["num_attention_heads"] = heads,
        ["num_key_value_heads"] = kvHeads,
        ["head_dim"] = hidden / heads,
        ["vocab_size"] = vocab,
        ["max_position_embeddings"] = maxPositions,
        ["rms_norm_eps"] = 1e-5,
        ["rope_parameters"] = new JsonObject { ["rope_type"] = "default", ["rope_theta"] = 10000.0 },
        ["hidden_act"] = "silu",
        ["attention_bias"] = false,
        ["mlp_bias"] = false,
        ["tie_word_embeddings"] = false,
        ["bos_token_id"] = 1,
        ["eos_token_id"] = 2,
        ["initializer_range"] = 0.02,
    };

    public static string DTypeName(string dtype) => dtype.ToLowerInvariant() switch
    {
        "f32" or "fp32" or "float32" => "float32",
        "bf16" or "bfloat16" => "bfloat16",
        _ => throw new ArgumentException($"--dtype '{dtype}': make-model writes f32 or bf16"),
    };

    private static JsonArray Array(double[] values) => new([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]);
}
