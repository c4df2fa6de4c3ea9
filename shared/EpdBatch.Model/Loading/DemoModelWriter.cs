using System.Text.Json;
using System.Text.Json.Nodes;
using EpdBatch.Text;

namespace EpdBatch.Model.Loading;

/// <summary>
/// Writes a small llava-hf model with RANDOM weights (CLIP tower, projector, Llama text model) and a byte-level
/// tokenizer: enough to run the whole pipeline anywhere in seconds. Its outputs are noise by construction.
/// </summary>
public static class DemoModelWriter
{
    private static readonly string[] s_specialTokens = ["<s>", "</s>", "<image>", "<video>"];

    /// <summary>Shape of the demo model; the defaults run a 100-item job in seconds on two CPU cores.</summary>
    public sealed record Shape
    {
        public int ImageSize { get; init; } = 224;
        public int PatchSize { get; init; } = 32;
        public int VisionHidden { get; init; } = 128;
        public int VisionLayers { get; init; } = 3;
        public int TextHidden { get; init; } = 128;
        public int TextLayers { get; init; } = 2;
        public int Heads { get; init; } = 4;
        public int KvHeads { get; init; } = 2;
        public int MaxPositions { get; init; } = 1024;
    }

    public static void Write(string directory, int seed = 1234, Shape? shape = null)
    {
        shape ??= new Shape();
        Directory.CreateDirectory(directory);
        var vocab = TokenizerJsonWriter.ByteLevelVocabSize(s_specialTokens.Length);
        TokenizerJsonWriter.WriteByteLevel(Path.Combine(directory, "tokenizer.json"), s_specialTokens);
        const int bos = TokenizerJsonWriter.ByteTokenCount, eos = bos + 1, image = bos + 2;

        var config = new JsonObject
        {
            ["architectures"] = new JsonArray("LlavaForConditionalGeneration"),
            ["model_type"] = "llava",
            ["image_token_index"] = image,
            ["projector_hidden_act"] = "gelu",
            ["vision_feature_layer"] = -2,
            ["vision_feature_select_strategy"] = "default",
            ["vision_config"] = new JsonObject
            {
                ["model_type"] = "clip_vision_model",
                ["hidden_size"] = shape.VisionHidden,
                ["intermediate_size"] = shape.VisionHidden * 4,
                ["num_hidden_layers"] = shape.VisionLayers,
                ["num_attention_heads"] = shape.Heads,
                ["image_size"] = shape.ImageSize,
                ["patch_size"] = shape.PatchSize,
                ["hidden_act"] = "quick_gelu",
            },
            ["text_config"] = new JsonObject
            {
                ["model_type"] = "llama",
                ["hidden_size"] = shape.TextHidden,
                ["intermediate_size"] = shape.TextHidden * 3,
                ["num_hidden_layers"] = shape.TextLayers,
                ["num_attention_heads"] = shape.Heads,
                ["num_key_value_heads"] = shape.KvHeads,
                ["vocab_size"] = vocab,
                ["max_position_embeddings"] = shape.MaxPositions,
                ["rms_norm_eps"] = 1e-5,
                ["rope_theta"] = 10000.0,
                ["bos_token_id"] = bos,
                ["eos_token_id"] = eos,
                ["tie_word_embeddings"] = false,
            },
            ["demo_note"] = "random weights: outputs are noise",
        };
        var indented = new JsonSerializerOptions { WriteIndented = true };
        File.WriteAllText(Path.Combine(directory, "config.json"), config.ToJsonString(indented));
        File.WriteAllText(Path.Combine(directory, "generation_config.json"),
            new JsonObject { ["bos_token_id"] = bos, ["eos_token_id"] = eos }.ToJsonString(indented));
        File.WriteAllText(Path.Combine(directory, "preprocessor_config.json"), new JsonObject
        {
            ["image_processor_type"] = "CLIPImageProcessor",
            ["do_resize"] = true,
            ["size"] = new JsonObject { ["shortest_edge"] = shape.ImageSize },
            ["resample"] = 3,
            ["do_center_crop"] = true,
            ["crop_size"] = new JsonObject { ["height"] = shape.ImageSize, ["width"] = shape.ImageSize },
            ["do_rescale"] = true,
            ["rescale_factor"] = 1.0 / 255,
            ["do_normalize"] = true,
            ["do_convert_rgb"] = true,
            ["image_mean"] = new JsonArray(0.48145466, 0.4578275, 0.40821073),
            ["image_std"] = new JsonArray(0.26862954, 0.26130258, 0.27577711),
        }.ToJsonString(indented));

        var random = new Random(seed);
        var tensors = new List<SafeTensorsWriter.Tensor>();
        void Add(string name, float std, float mean, params long[] dims)
        {
            var count = dims.Aggregate(1L, (a, b) => a * b);
            var values = new float[count];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = mean + std * (float)Gaussian(random);
            }
            var bytes = new byte[count * 4];
            Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
            tensors.Add(new SafeTensorsWriter.Tensor(name, "F32", dims, bytes));
        }

        int vh = shape.VisionHidden, th = shape.TextHidden, headDim = th / shape.Heads;
        var positions = (shape.ImageSize / shape.PatchSize) * (shape.ImageSize / shape.PatchSize) + 1;
        Add("vision_tower.vision_model.embeddings.class_embedding", 0.02f, 0, vh);
        Add("vision_tower.vision_model.embeddings.patch_embedding.weight", 0.02f, 0, vh, 3, shape.PatchSize, shape.PatchSize);
        Add("vision_tower.vision_model.embeddings.position_embedding.weight", 0.02f, 0, positions, vh);
        Add("vision_tower.vision_model.pre_layrnorm.weight", 0.1f, 1, vh);
        Add("vision_tower.vision_model.pre_layrnorm.bias", 0.02f, 0, vh);
        for (var l = 0; l < shape.VisionLayers; l++)
        {
            var p = $"vision_tower.vision_model.encoder.layers.{l}.";
            foreach (var proj in new[] { "q_proj", "k_proj", "v_proj", "out_proj" })
            {
                Add(p + $"self_attn.{proj}.weight", 0.05f, 0, vh, vh);
                Add(p + $"self_attn.{proj}.bias", 0.02f, 0, vh);
            }
            Add(p + "layer_norm1.weight", 0.1f, 1, vh);
            Add(p + "layer_norm1.bias", 0.02f, 0, vh);
            Add(p + "layer_norm2.weight", 0.1f, 1, vh);
            Add(p + "layer_norm2.bias", 0.02f, 0, vh);
            Add(p + "mlp.fc1.weight", 0.05f, 0, vh * 4, vh);
            Add(p + "mlp.fc1.bias", 0.02f, 0, vh * 4);
            Add(p + "mlp.fc2.weight", 0.05f, 0, vh, vh * 4);
            Add(p + "mlp.fc2.bias", 0.02f, 0, vh);
        }
        Add("multi_modal_projector.linear_1.weight", 0.05f, 0, th, vh);
        Add("multi_modal_projector.linear_1.bias", 0.02f, 0, th);
        Add("multi_modal_projector.linear_2.weight", 0.05f, 0, th, th);
        Add("multi_modal_projector.linear_2.bias", 0.02f, 0, th);
        Add("language_model.model.embed_tokens.weight", 0.5f, 0, vocab, th);
        for (var l = 0; l < shape.TextLayers; l++)
        {
            var p = $"language_model.model.layers.{l}.";
            Add(p + "self_attn.q_proj.weight", 0.05f, 0, shape.Heads * headDim, th);
            Add(p + "self_attn.k_proj.weight", 0.05f, 0, shape.KvHeads * headDim, th);
            Add(p + "self_attn.v_proj.weight", 0.05f, 0, shape.KvHeads * headDim, th);
            Add(p + "self_attn.o_proj.weight", 0.05f, 0, th, shape.Heads * headDim);
            Add(p + "mlp.gate_proj.weight", 0.05f, 0, th * 3, th);
            Add(p + "mlp.up_proj.weight", 0.05f, 0, th * 3, th);
            Add(p + "mlp.down_proj.weight", 0.05f, 0, th, th * 3);
            Add(p + "input_layernorm.weight", 0.1f, 1, th);
            Add(p + "post_attention_layernorm.weight", 0.1f, 1, th);
        }
        Add("language_model.model.norm.weight", 0.1f, 1, th);
        Add("language_model.lm_head.weight", 0.2f, 0, vocab, th);
        // Zero the head's rows except lower-case letters, space and full stop: the random noise the demo prints then
        // reads as (meaningless) words instead of control bytes, and the end-of-sequence id is never chosen.
        var head = tensors[^1].Data.ToArray();
        for (var id = 0; id < vocab; id++)
        {
            if (id is >= 'a' and <= 'z' or ' ' or '.')
            {
                continue;
            }
            Array.Clear(head, id * th * 4, th * 4);
        }
        tensors[^1] = tensors[^1] with { Data = head };
        SafeTensorsWriter.Write(Path.Combine(directory, "model.safetensors"), tensors);
    }

    private static double Gaussian(Random random)
    {
        // Box–Muller: two uniforms → one standard normal.
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
