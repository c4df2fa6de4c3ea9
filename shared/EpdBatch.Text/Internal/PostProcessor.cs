using System.Text.Json;

namespace EpdBatch.Text.Internal;

/// <summary>
/// The single-sequence part of a <c>post_processor</c> (TemplateProcessing, Bert/Roberta, Sequence): the ids put
/// before and after the encoded text when special tokens are added.
/// </summary>
internal sealed class PostProcessor
{
    private PostProcessor(int[] prefix, int[] suffix, bool isTemplate)
    {
        Prefix = prefix;
        Suffix = suffix;
        IsTemplate = isTemplate;
    }

    public int[] Prefix { get; }

    public int[] Suffix { get; }

    /// <summary>Whether the JSON said which special tokens to add (otherwise tokenizer_config.json may).</summary>
    public bool IsTemplate { get; }

    public static PostProcessor None { get; } = new([], [], false);

    public static PostProcessor Fixed(int[] prefix, int[] suffix) => new(prefix, suffix, true);

    public static PostProcessor Create(JsonElement? element)
    {
        if (element is not { ValueKind: JsonValueKind.Object } json)
        {
            return None;
        }

        var type = json.TypeName();
        switch (type)
        {
            case "ByteLevel":
                return None;
            case "Sequence":
                var prefix = new List<int>();
                var suffix = new List<int>();
                var isTemplate = false;
                // Each processor wraps what the previous ones produced, so later ones end up outermost.
                foreach (var child in json.GetArrayItems("processors"))
                {
                    var processor = Create(child);
                    prefix.InsertRange(0, processor.Prefix);
                    suffix.AddRange(processor.Suffix);
                    isTemplate |= processor.IsTemplate;
                }

                return new PostProcessor([.. prefix], [.. suffix], isTemplate);
            case "TemplateProcessing":
                return Template(json);
            case "BertProcessing":
            case "RobertaProcessing":
                return new PostProcessor([TokenPairId(json, "cls")], [TokenPairId(json, "sep")], true);
            default:
                throw new NotSupportedException($"tokenizer.json post_processor type '{type}' is not supported.");
        }
    }

    private static PostProcessor Template(JsonElement json)
    {
        var specialIds = new Dictionary<string, int[]>(StringComparer.Ordinal);
        if (json.GetObjectOrNull("special_tokens") is { } specials)
        {
            foreach (var property in specials.EnumerateObject())
            {
                specialIds[property.Name] = property.Value.GetArrayItems("ids").Select(static e => e.GetInt32()).ToArray();
            }
        }

        var prefix = new List<int>();
        var suffix = new List<int>();
        var seenSequence = false;
        foreach (var piece in json.GetArrayItems("single"))
        {
            if (piece.TryGetProperty("Sequence", out _))
            {
                seenSequence = true;
                continue;
            }

            if (piece.TryGetProperty("SpecialToken", out var special))
            {
                var id = special.GetStringOrNull("id") ?? throw new InvalidDataException("TemplateProcessing special token without an id.");
                if (!specialIds.TryGetValue(id, out var ids))
                {
                    throw new InvalidDataException($"TemplateProcessing uses special token '{id}' that its special_tokens map does not define.");
                }

                (seenSequence ? suffix : prefix).AddRange(ids);
            }
        }

        return new PostProcessor([.. prefix], [.. suffix], true);
    }

    private static int TokenPairId(JsonElement json, string name)
    {
        // Bert/Roberta store ["[CLS]", 101].
        var pair = json.GetProperty(name);
        return pair[1].GetInt32();
    }
}
