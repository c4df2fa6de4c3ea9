using System.Text.Json;

namespace EpdBatch.Text.Internal;

/// <summary>The few fields of transformers' <c>tokenizer_config.json</c> that change how ids are produced.</summary>
internal sealed record TokenizerConfig(string? BosToken, string? EosToken, bool AddBosToken, bool AddEosToken)
{
    public static TokenizerConfig Empty { get; } = new(null, null, false, false);

    public static TokenizerConfig Load(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            return new TokenizerConfig(
                TokenText(root, "bos_token"),
                TokenText(root, "eos_token"),
                root.GetBool("add_bos_token", false),
                root.GetBool("add_eos_token", false));
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {ex.Message}", ex);
        }
    }

    // transformers writes special tokens either as a string or as a serialized AddedToken {"content": ...}.
    private static string? TokenText(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Object => value.GetStringOrNull("content"),
            _ => null,
        };
    }
}
