using System.Text.Json;

namespace EpdBatch.Text.Internal;

/// <summary>
/// One step of pre-tokenization: reads a segment and appends the pieces it becomes (tokenizers'
/// <c>PreTokenizedString::split</c>). Empty pieces are never appended.
/// </summary>
internal delegate void PreTokenizeStep(TextSegment input, List<TextSegment> output);

/// <summary>Builds the <c>pre_tokenizer</c> of a <c>tokenizer.json</c>.</summary>
internal static class PreTokenizerFactory
{
    // GPT-2's pattern, used by the ByteLevel pre-tokenizer when use_regex is on.
    private const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private static readonly Lazy<SplitPattern> s_gpt2 = new(static () => SplitPattern.FromRegex(Gpt2Pattern));

    private static readonly Lazy<SplitPattern> s_whitespaceWords = new(static () => SplitPattern.FromRegex(@"\w+|[^\w\s]+"));

    private enum Behavior
    {
        Removed,
        Isolated,
        MergedWithPrevious,
        MergedWithNext,
        Contiguous,
    }

    /// <summary>Returns the pipeline's steps in order; none means the whole segment goes to the model.</summary>
    public static PreTokenizeStep[] Create(JsonElement? element)
    {
        var steps = new List<PreTokenizeStep>();
        if (element is { ValueKind: JsonValueKind.Object } json)
        {
            Add(json, steps);
        }

        return [.. steps];
    }

    private static void Add(JsonElement json, List<PreTokenizeStep> steps)
    {
        var type = json.TypeName();
        switch (type)
        {
            case "Sequence":
                foreach (var child in json.GetArrayItems("pretokenizers"))
                {
                    Add(child, steps);
                }

                break;
            case "ByteLevel":
                steps.Add(ByteLevel(json.GetBool("add_prefix_space", false), json.GetBool("use_regex", true)));
                break;
            case "Split":
                var pattern = SplitPattern.Parse(json.GetProperty("pattern"));
                var behavior = ParseBehavior(json.GetStringOrNull("behavior") ?? "Isolated");
                var invert = json.GetBool("invert", false);
                steps.Add((input, output) => Split(input, pattern, behavior, invert, output));
                break;
            case "Metaspace":
                steps.Add(Metaspace(json));
                break;
            case "Digits":
                var digits = SplitPattern.CharClass(char.IsAsciiDigit);
                var individual = json.GetBool("individual_digits", false);
                steps.Add((input, output) => Split(input, digits, individual ? Behavior.Isolated : Behavior.Contiguous, false, output));
                break;
            case "Whitespace":
                steps.Add(static (input, output) => Split(input, s_whitespaceWords.Value, Behavior.Removed, true, output));
                break;
            case "WhitespaceSplit":
                var whitespace = SplitPattern.CharClass(char.IsWhiteSpace);
                steps.Add((input, output) => Split(input, whitespace, Behavior.Removed, false, output));
                break;
            default:
                throw new NotSupportedException($"tokenizer.json pre_tokenizer type '{type}' is not supported.");
        }
    }

    private static PreTokenizeStep ByteLevel(bool addPrefixSpace, bool useRegex)
    {
        return (input, output) =>
        {
            var text = addPrefixSpace && !input.Text.StartsWith(' ') ? " " + input.Text : input.Text;
            if (!useRegex)
            {
                output.Add(input with { Text = ByteLevelAlphabet.EncodeText(text) });
                return;
            }

            var pieces = new List<TextSegment>();
            Split(input with { Text = text }, s_gpt2.Value, Behavior.Isolated, false, pieces);
            foreach (var piece in pieces)
            {
                output.Add(piece with { Text = ByteLevelAlphabet.EncodeText(piece.Text) });
            }
        };
    }

    private static PreTokenizeStep Metaspace(JsonElement json)
    {
        var replacement = json.GetStringOrNull("replacement") ?? "\u2581";
        var scheme = json.GetStringOrNull("prepend_scheme")
            ?? (json.GetBool("add_prefix_space", true) ? "always" : "never");
        var split = json.GetBool("split", true);
        var separator = SplitPattern.Literal(replacement);
        return (input, output) =>
        {
            var text = input.Text.Replace(" ", replacement, StringComparison.Ordinal);
            var prepend = scheme switch
            {
                "always" => true,
                "first" => input.AtStart,
                _ => false,
            };
            if (prepend && !text.StartsWith(replacement, StringComparison.Ordinal))
            {
                text = replacement + text;
            }

            if (split)
            {
                Split(input with { Text = text }, separator, Behavior.MergedWithNext, false, output);
            }
            else
            {
                output.Add(input with { Text = text });
            }
        };
    }

    private static Behavior ParseBehavior(string name) => name switch
    {
        "Removed" => Behavior.Removed,
        "Isolated" => Behavior.Isolated,
        "MergedWithPrevious" => Behavior.MergedWithPrevious,
        "MergedWithNext" => Behavior.MergedWithNext,
        "Contiguous" => Behavior.Contiguous,
        _ => throw new NotSupportedException($"tokenizer.json split behavior '{name}' is not supported."),
    };

    private static void Split(TextSegment input, SplitPattern pattern, Behavior behavior, bool invert, List<TextSegment> output)
    {
        var matches = pattern.FindMatches(input.Text);
        if (invert)
        {
            for (var i = 0; i < matches.Count; i++)
            {
                matches[i] = matches[i] with { IsMatch = !matches[i].IsMatch };
            }
        }

        var ranges = new List<(int Start, int End)>(matches.Count);
        switch (behavior)
        {
            case Behavior.Removed:
                ranges.AddRange(matches.Where(static m => !m.IsMatch).Select(static m => (m.Start, m.End)));
                break;
            case Behavior.Isolated:
                ranges.AddRange(matches.Select(static m => (m.Start, m.End)));
                break;
            case Behavior.MergedWithPrevious:
            {
                var previousMatch = false;
                foreach (var (start, end, isMatch) in matches)
                {
                    if (isMatch && !previousMatch && ranges.Count > 0)
                    {
                        ranges[^1] = (ranges[^1].Start, end);
                    }
                    else
                    {
                        ranges.Add((start, end));
                    }

                    previousMatch = isMatch;
                }

                break;
            }

            case Behavior.MergedWithNext:
            {
                var previousMatch = false;
                for (var i = matches.Count - 1; i >= 0; i--)
                {
                    var (start, end, isMatch) = matches[i];
                    if (isMatch && !previousMatch && ranges.Count > 0)
                    {
                        ranges[^1] = (start, ranges[^1].End);
                    }
                    else
                    {
                        ranges.Add((start, end));
                    }

                    previousMatch = isMatch;
                }

                ranges.Reverse();
                break;
            }

            case Behavior.Contiguous:
            {
                var previousMatch = false;
                foreach (var (start, end, isMatch) in matches)
                {
                    if (isMatch == previousMatch && ranges.Count > 0)
                    {
                        ranges[^1] = (ranges[^1].Start, end);
                    }
                    else
                    {
                        ranges.Add((start, end));
                    }

                    previousMatch = isMatch;
                }

                break;
            }
        }

        foreach (var (start, end) in ranges)
        {
            if (end > start)
            {
                output.Add(new TextSegment(input.Text[start..end], input.AtStart && start == 0));
            }
        }
    }
}
