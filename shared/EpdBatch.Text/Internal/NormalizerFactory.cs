using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EpdBatch.Text.Internal;

/// <summary>Builds the <c>normalizer</c> of a <c>tokenizer.json</c> as one string-to-string function.</summary>
internal static class NormalizerFactory
{
    public static Func<string, string>? Create(JsonElement? element)
    {
        if (element is not { ValueKind: JsonValueKind.Object } json)
        {
            return null;
        }

        var type = json.TypeName();
        switch (type)
        {
            case "Sequence":
                var steps = json.GetArrayItems("normalizers").Select(static e => Create(e)).OfType<Func<string, string>>().ToArray();
                return text =>
                {
                    foreach (var step in steps)
                    {
                        text = step(text);
                    }

                    return text;
                };
            // Under InvariantGlobalization .NET leaves non-ASCII text unnormalized; input that is already NFC (nearly
            // all real text) is unaffected, so we normalize when the runtime can rather than refuse to load.
            case "NFC":
                return static text => Normalize(text, NormalizationForm.FormC);
            case "NFD":
                return static text => Normalize(text, NormalizationForm.FormD);
            case "NFKC":
                return static text => Normalize(text, NormalizationForm.FormKC);
            case "NFKD":
                return static text => Normalize(text, NormalizationForm.FormKD);
            case "Lowercase":
                return static text => text.ToLowerInvariant();
            case "Strip":
                var left = json.GetBool("strip_left", true);
                var right = json.GetBool("strip_right", true);
                return text => (left, right) switch
                {
                    (true, true) => text.Trim(),
                    (true, false) => text.TrimStart(),
                    (false, true) => text.TrimEnd(),
                    _ => text,
                };
            case "StripAccents":
                return static text => StripAccents(text);
            case "Prepend":
                var prefix = json.GetStringOrNull("prepend") ?? string.Empty;
                return text => text.Length == 0 ? text : prefix + text;
            case "Replace":
                var pattern = SplitPattern.Parse(json.GetProperty("pattern"));
                var content = json.GetStringOrNull("content") ?? string.Empty;
                return text => pattern.Replace(text, content);
            default:
                throw new NotSupportedException($"tokenizer.json normalizer type '{type}' is not supported.");
        }
    }

    private static string Normalize(string text, NormalizationForm form)
    {
        // Ascii text is in every normal form already; skipping the call keeps the common case allocation-free.
        return Ascii.IsValid(text) ? text : text.Normalize(form);
    }

    private static string StripAccents(string text)
    {
        var decomposed = Normalize(text, NormalizationForm.FormD);
        var builder = new StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark)
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
