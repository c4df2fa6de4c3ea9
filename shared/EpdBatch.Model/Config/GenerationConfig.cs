using System.Text.Json.Nodes;

namespace EpdBatch.Model.Config;

/// <summary>The parts of <c>generation_config.json</c> that batch inference uses: stop ids and the model's default limits.</summary>
public sealed record GenerationConfig
{
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];
    public int? BosTokenId { get; init; }
    public int? PadTokenId { get; init; }
    public int? MaxNewTokens { get; init; }

    public static GenerationConfig Load(string modelDirectory, TextConfig text)
    {
        var path = Path.Combine(modelDirectory, "generation_config.json");
        if (!File.Exists(path))
        {
            return new GenerationConfig { EosTokenIds = text.EosTokenIds, BosTokenId = text.BosTokenId };
        }
        var root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
            ?? throw new ModelFormatException($"{path}: not a JSON object");
        var eos = root.IntList("eos_token_id");
        return new GenerationConfig
        {
            EosTokenIds = eos.Count > 0 ? eos : text.EosTokenIds,
            BosTokenId = root.Int("bos_token_id") ?? text.BosTokenId,
            PadTokenId = root.Int("pad_token_id"),
            MaxNewTokens = root.Int("max_new_tokens"),
        };
    }
}
