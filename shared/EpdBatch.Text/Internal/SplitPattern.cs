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
            var (subject, toOriginal) = WithBmpStandIns(text);
            for (var m = _regex.Match(subject); m.Success; m = m.NextMatch())
            {
                var start = toOriginal is null ? m.Index : toOriginal[m.Index];
                var end = toOriginal is null ? m.Index + m.Length : toOriginal[m.Index + m.Length];
                Add(result, ref previous, start, end);
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

    /// <summary>
    /// .NET's Regex sees UTF-16 units, so a letter or number outside the BMP (CJK extension B, mathematical letters)
    /// is two surrogates of category Cs, where tokenizers' regex sees one \p{L} or \p{N}. Matching runs on a copy in
    /// which each such code point is one BMP character of the same class ('a' or '0'); the returned map takes
    /// indices of the copy back to the original. Other astral characters (emoji) are "other" either way and stay.
    /// </summary>
    private static (string Subject, int[]? ToOriginal) WithBmpStandIns(string text)
    {
        var firstSurrogate = text.AsSpan().IndexOfAnyInRange('\uD800', '\uDBFF');
        if (firstSurrogate < 0)
        {
            return (text, null);
        }

        var subject = new System.Text.StringBuilder(text.Length);
        var toOriginal = new List<int>(text.Length + 1);
        var i = 0;
        while (i < text.Length)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                var category = System.Globalization.CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(text[i], text[i + 1]));
                var standIn = category switch
                {
                    <= System.Globalization.UnicodeCategory.OtherLetter => 'a',
                    >= System.Globalization.UnicodeCategory.DecimalDigitNumber and <= System.Globalization.UnicodeCategory.OtherNumber => '0',
                    _ => '\0',
                };
                if (standIn != '\0')
                {
                    subject.Append(standIn);
                    toOriginal.Add(i);
                    i += 2;
                    continue;
                }
            }

            subject.Append(text[i]);
            toOriginal.Add(i);
            i++;
        }

        toOriginal.Add(text.Length);
        return (subject.ToString(), [.. toOriginal]);
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
