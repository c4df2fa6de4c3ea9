namespace EpdBatch.Text;

/// <summary>
/// Turns generated ids into text as they arrive. Text is emitted only when it is complete: a token that ends inside
/// a multi-byte UTF-8 character (byte-level BPE, or <c>&lt;0xNN&gt;</c> byte fallback) is held until the character
/// completes. Decodes a short window of recent ids each step, as tokenizers' <c>DecodeStream</c> does, so decoders
/// that depend on neighbours (leading-space stripping, byte fusion) give the same text as a full decode.
/// Not thread-safe: one instance per generated sequence.
/// </summary>
public sealed class StreamingDecoder
{
    private const char Replacement = '\uFFFD';

    private readonly Tokenizer _tokenizer;
    private readonly bool _skipSpecialTokens;
    private readonly List<int> _ids = [];
    private string _prefix = string.Empty;
    private int _prefixIndex;

    internal StreamingDecoder(Tokenizer tokenizer, bool skipSpecialTokens)
    {
        _tokenizer = tokenizer;
        _skipSpecialTokens = skipSpecialTokens;
    }

    /// <summary>Adds one id; returns the text it completes (often empty).</summary>
    public string Push(int id)
    {
        _ids.Add(id);
        var text = _tokenizer.Decode(_ids, _skipSpecialTokens);
        if (text.Length <= _prefix.Length || text[^1] == Replacement)
        {
            return string.Empty;
        }

        var newText = text.StartsWith(_prefix, StringComparison.Ordinal)
            ? text[_prefix.Length..]
            : text[CommonPrefixLength(text, _prefix)..];

        // Keep the ids after the old prefix as the next window's context; everything before is emitted for good.
        var newPrefixIndex = _ids.Count - _prefixIndex;
        _ids.RemoveRange(0, _prefixIndex);
        _prefix = _tokenizer.Decode(_ids, _skipSpecialTokens);
        _prefixIndex = newPrefixIndex;
        return newText;
    }

    /// <summary>Returns whatever is still held (an incomplete character comes out as U+FFFD) and resets.</summary>
    public string Flush()
    {
        var text = _ids.Count == 0 ? string.Empty : _tokenizer.Decode(_ids, _skipSpecialTokens);
        var rest = text.Length > _prefix.Length && text.StartsWith(_prefix, StringComparison.Ordinal)
            ? text[_prefix.Length..]
            : string.Empty;
        _ids.Clear();
        _prefix = string.Empty;
        _prefixIndex = 0;
        return rest;
    }

    private static int CommonPrefixLength(string a, string b)
    {
        var length = Math.Min(a.Length, b.Length);
        var i = 0;
        while (i < length && a[i] == b[i])
        {
            i++;
        }

        return i;
    }
}
