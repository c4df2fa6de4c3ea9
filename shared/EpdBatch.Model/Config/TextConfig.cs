using System.Text.Json.Nodes;

namespace EpdBatch.Model.Config;

/// <summary>The language model's shape, with the Hugging Face class defaults filled in for fields a config leaves out.</summary>
public sealed record TextConfig
{
    public required TextArchitecture Architecture { get; init; }
    public required int HiddenSize { get; init; }
    public required int IntermediateSize { get; init; }
    public required int NumHiddenLayers { get; init; }
    public required int NumAttentionHeads { get; init; }
    public required int NumKeyValueHeads { get; init; }
    public required int HeadDim { get; init; }
    public required int VocabSize { get; init; }
    public required int MaxPositionEmbeddings { get; init; }
    public required double RmsNormEps { get; init; }
    public required double RopeTheta { get; init; }
    public required bool AttentionBias { get; init; }
    public required bool TieWordEmbeddings { get; init; }
    public required string HiddenAct { get; init; }
    public int? BosTokenId { get; init; }
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    internal static TextConfig Parse(JsonObject? node, JsonObject root)
    {
        node ??= new JsonObject();
        var modelType = node.Str("model_type") ?? "llama";
        var architecture = modelType switch
        {
            "llama" => TextArchitecture.Llama,
            "mistral" => TextArchitecture.Mistral,
            "qwen2" => TextArchitecture.Qwen2,
            _ => throw new ModelFormatException($"text_config.model_type '{modelType}' is not supported (llama, mistral and qwen2 are)"),
        };
        var (hidden, intermediate, layers, heads, maxPos, eps, theta) = architecture switch
        {
            TextArchitecture.Llama => (4096, 11008, 32, 32, 2048, 1e-6, 10000.0),
            TextArchitecture.Mistral => (4096, 14336, 32, 32, 4096 * 32, 1e-6, 10000.0),
            _ => (4096, 22016, 32, 32, 32768, 1e-6, 10000.0),
        };
        hidden = node.Int("hidden_size") ?? hidden;
        heads = node.Int("num_attention_heads") ?? heads;
        var ropeParameters = node["rope_parameters"] as JsonObject;
        var ropeType = ropeParameters?.Str("rope_type") ?? (node["rope_scaling"] as JsonObject)?.Str("rope_type") ?? "default";
        if (ropeType != "default")
        {
            throw new ModelFormatException($"text_config: rope type '{ropeType}' is not supported (only 'default' rotary embeddings are)");
        }
        var tie = node.Bool("tie_word_embeddings") ?? root.Bool("tie_word_embeddings") ?? false;
        var config = new TextConfig
        {
            Architecture = architecture,
            HiddenSize = hidden,
            IntermediateSize = node.Int("intermediate_size") ?? intermediate,
            NumHiddenLayers = node.Int("num_hidden_layers") ?? layers,
            NumAttentionHeads = heads,
            NumKeyValueHeads = node.Int("num_key_value_heads") ?? (architecture == TextArchitecture.Mistral ? 8 : heads),
            HeadDim = node.Int("head_dim") ?? hidden / heads,
            VocabSize = node.Int("vocab_size") ?? (architecture == TextArchitecture.Qwen2 ? 151936 : 32000),
            MaxPositionEmbeddings = node.Int("max_position_embeddings") ?? maxPos,
            RmsNormEps = node.Double("rms_norm_eps") ?? eps,
            RopeTheta = node.Double("rope_theta") ?? ropeParameters?.Double("rope_theta") ?? theta,
            // Qwen2 always has q/k/v biases; Llama and Mistral only when attention_bias says so.
            AttentionBias = architecture == TextArchitecture.Qwen2 || (node.Bool("attention_bias") ?? false),
            TieWordEmbeddings = tie,
            HiddenAct = node.Str("hidden_act") ?? "silu",
            BosTokenId = node.Int("bos_token_id"),
            EosTokenIds = node.IntList("eos_token_id"),
        };
        if (config.NumAttentionHeads % config.NumKeyValueHeads != 0)
        {
            throw new ModelFormatException($"text_config: num_attention_heads {config.NumAttentionHeads} is not a multiple of num_key_value_heads {config.NumKeyValueHeads}");
        }
        if (config.HiddenAct != "silu")
        {
            throw new ModelFormatException($"text_config.hidden_act '{config.HiddenAct}' is not supported (silu is)");
        }
        return config;
    }
}
