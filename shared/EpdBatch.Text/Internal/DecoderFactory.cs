using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EpdBatch.Text.Internal;

/// <summary>
/// Builds the <c>decoder</c> of a <c>tokenizer.json</c> as a chain over token strings, as tokenizers'
/// <c>decode_chain</c>; the caller joins what comes out.
/// </summary>
internal static class DecoderFactory
{
    public static Func<List<string>, List<string>>? Create(JsonElement? element)
    {
        if (element is not { ValueKind: JsonValueKind.Object } json)
        {
            return null;
        }

        var type = json.TypeName();
        switch (type)
        {
            case "Sequence":
                var steps = json.GetArrayItems("decoders").Select(static e => Create(e)).OfType<Func<List<string>, List<string>>>().ToArray();
                return tokens =>
                {
                    foreach (var step in steps)
                    {
                        tokens = step(tokens);
                    }

                    return tokens;
                };
            case "ByteLevel":
                return static tokens => [DecodeByteLevel(tokens)];
            case "Replace":
                var pattern = SplitPattern.Parse(json.GetProperty("pattern"));
                var content = json.GetStringOrNull("content") ?? string.Empty;
                return tokens => tokens.ConvertAll(t => pattern.Replace(t, content));
            case "ByteFallback":
                return static tokens => DecodeByteFallback(tokens);
            case "Fuse":
                return static tokens => [string.Concat(tokens)];
            case "Strip":
                var strip = (json.GetStringOrNull("content") ?? " ")[0];
                var start = json.GetInt("start", 0);
                var stop = json.GetInt("stop", 0);
                return tokens => tokens.ConvertAll(t => Strip(t, strip, start, stop));
            case "Metaspace":
                var replacement = (json.GetStringOrNull("replacement") ?? "\u2581")[0];
                var scheme = json.GetStringOrNull("prepend_scheme")
                    ?? (json.GetBool("add_prefix_space", true) ? "always" : "never");
                var dropFirst = scheme != "never";
                return tokens => DecodeMetaspace(tokens, replacement, dropFirst);
            case "BPEDecoder":
                var suffix = json.GetStringOrNull("suffix") ?? "</w>";
                return tokens => tokens.Select((t, i) => t.Replace(suffix, i == tokens.Count - 1 ? string.Empty : " ", StringComparison.Ordinal)).ToList();
            default:
                throw new NotSupportedException($"tokenizer.json decoder type '{type}' is not supported.");
        }
    }

    private static string DecodeByteLevel(List<string> tokens)
    {
        var bytes = new List<byte>();
        foreach (var token in tokens)
        {
            var start = bytes.Count;
            var mapped = true;
            foreach (var c in token)
            {
                if (!ByteLevelAlphabet.TryToByte(c, out var b))
                {
                    mapped = false;
                    break;
                }

                bytes.Add(b);
            }

            // A token outside the byte alphabet (an added token such as "<image>" with non-ASCII text) keeps its own
            // UTF-8 bytes, as tokenizers does.
            if (!mapped)
            {
                bytes.RemoveRange(start, bytes.Count - start);
                bytes.AddRange(Encoding.UTF8.GetBytes(token));
            }
        }

        return Encoding.UTF8.GetString([.. bytes]);
    }

    private static List<string> DecodeByteFallback(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        var pending = new List<byte>();
        foreach (var token in tokens)
        {
            if (TryParseByteToken(token, out var value))
            {
                pending.Add(value);
                continue;
            }

            FlushBytes(pending, result);
            result.Add(token);
        }

        FlushBytes(pending, result);
        return result;
    }

    private static void FlushBytes(List<byte> pending, List<string> result)
    {
        if (pending.Count == 0)
        {
            return;
        }

        // Invalid UTF-8 becomes one replacement character per byte token, as tokenizers' ByteFallback does.
        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
        try
        {
            result.Add(strict.GetString([.. pending]));
        }
        catch (DecoderFallbackException)
        {
            for (var i = 0; i < pending.Count; i++)
            {
                result.Add("\uFFFD");
            }
        }

        pending.Clear();
    }

    private static bool TryParseByteToken(string token, out byte value)
    {
        value = 0;
        return token.Length == 6
            && token.StartsWith("<0x", StringComparison.Ordinal)
            && token[5] == '>'
            && byte.TryParse(token.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }

    private static string Strip(string token, char content, int start, int stop)
    {
        var begin = 0;
        while (begin < start && begin < token.Length && token[begin] == content)
        {
            begin++;
        }

        var end = token.Length;
        var removed = 0;
        while (removed < stop && end > begin && token[end - 1] == content)
        {
            end--;
            removed++;
        }

        return token[begin..end];
    }

    private static List<string> DecodeMetaspace(List<string> tokens, char replacement, bool dropFirst)
    {
        var result = new List<string>(tokens.Count);
        for (var i = 0; i < tokens.Count; i++)
        {
            var builder = new StringBuilder(tokens[i].Length);
            foreach (var c in tokens[i])
            {
                if (c != replacement)
                {
                    builder.Append(c);
                }
                else if (!(i == 0 && dropFirst))
                {
                    builder.Append(' ');
                }
            }

            result.Add(builder.ToString());
        }

        return result;
    }
}
