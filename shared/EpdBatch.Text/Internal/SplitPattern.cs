using System.Text.Json;
using System.Text.RegularExpressions;

namespace EpdBatch.Text.Internal;

/// <summary>
/// A <c>{"String": ...}</c> or <c>{"Regex": ...}</c> pattern from <c>tokenizer.json</c>, and the segmentation
/// that tokenizers' <c>Pattern::find_matches</c> produces with it.
/// </summary>
internal sealed class SplitPattern
{
    // Each Regex is built once per tokenizer; Compiled pays off because pre-tokenization runs on every request.
    private const RegexOptions Options = RegexOptions.Compiled | RegexOptions.CultureInvariant;

    private readonly string? _literal;
    private readonly Regex? _regex;
    private readonly Func<char, bool>? _predicate;

    private SplitPattern(string? literal, Regex? regex, Func<char, bool>? predicate)
    {
        _literal = literal;
        _regex = regex;
        _predicate = predicate;
    }

    public static SplitPattern Literal(string value) => new(value, null, null);

    public static SplitPattern FromRegex(string pattern) => new(null, new Regex(pattern, Options), null);

    public static SplitPattern CharClass(Func<char, bool> predicate) => new(null, null, predicate);

    public static SplitPattern Parse(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.String)
        {
            return Literal(element.GetString()!);
        }

        if (element.TryGetProperty("String", out var literal))
        {
            return Literal(literal.GetString()!);
        }

        if (element.TryGetProperty("Regex", out var regex))
        {
            return FromRegex(regex.GetString()!);
        }

        throw new InvalidDataException($"Unsupported pattern {element.GetRawText()}: expected {{\"String\": ...}} or {{\"Regex\": ...}}.");
    }

    /// <summary>Cuts <paramref name="text"/> into consecutive ranges, each flagged as a match or not.</summary>
    public List<(int Start, int End, bool IsMatch)> FindMatches(string text)
    {
        var result = new List<(int, int, bool)>();
        var previous = 0;
        if (_regex is not null)
        {
            for (var m = _regex.Match(text); m.Success; m = m.NextMatch())
            {
                Add(result, ref previous, m.Index, m.Index + m.Length);
            }
        }
        else if (_literal is not null)
        {
            if (_literal.Length > 0)
            {
                var at = text.IndexOf(_literal, StringComparison.Ordinal);
                while (at >= 0)
                {
                    Add(result, ref previous, at, at + _literal.Length);
                    at = text.IndexOf(_literal, at + _literal.Length, StringComparison.Ordinal);
                }
            }
        }
        else
        {
            for (var i = 0; i < text.Length; i++)
            {
                if (_predicate!(text[i]))
                {
                    Add(result, ref previous, i, i + 1);
                }
            }
        }

        if (previous < text.Length)
        {
            result.Add((previous, text.Length, false));
        }

        return result;
    }

    public string Replace(string text, string replacement)
    {
        if (_regex is not null)
        {
            return _regex.Replace(text, replacement.Replace("$", "$$", StringComparison.Ordinal));
        }

        return _literal is { Length: > 0 } ? text.Replace(_literal, replacement, StringComparison.Ordinal) : text;
    }

    private static void Add(List<(int, int, bool)> result, ref int previous, int start, int end)
    {
        if (start > previous)
        {
            result.Add((previous, start, false));
        }

        result.Add((start, end, true));
        previous = end;
    }
}
