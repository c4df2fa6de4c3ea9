namespace EpdBatch.Text.Internal;

/// <summary>
/// Finds added tokens in text (leftmost, then longest, as tokenizers' Aho-Corasick matcher does) and cuts the text
/// around them, honouring <c>lstrip</c>, <c>rstrip</c> and <c>single_word</c>.
/// </summary>
internal sealed class AddedTokenSplitter
{
    private readonly Dictionary<char, AddedToken[]> _byFirstChar;

    public AddedTokenSplitter(IEnumerable<AddedToken> tokens)
    {
        _byFirstChar = tokens
            .Where(static t => t.Content.Length > 0)
            .GroupBy(static t => t.Content[0])
            .ToDictionary(
                static g => g.Key,
                static g => g.OrderByDescending(static t => t.Content.Length).ToArray());
    }

    public bool IsEmpty => _byFirstChar.Count == 0;

    public void Split(TextSegment segment, List<TextSegment> output)
    {
        var text = segment.Text;
        if (IsEmpty || segment.AddedTokenId is not null)
        {
            output.Add(segment);
            return;
        }

        var pendingStart = 0;
        var i = 0;
        while (i < text.Length)
        {
            var token = MatchAt(text, i);
            if (token is null)
            {
                i++;
                continue;
            }

            var start = i;
            var stop = i + token.Content.Length;
            if (token.LStrip)
            {
                while (start > pendingStart && char.IsWhiteSpace(text[start - 1]))
                {
                    start--;
                }
            }

            if (token.RStrip)
            {
                while (stop < text.Length && char.IsWhiteSpace(text[stop]))
                {
                    stop++;
                }
            }

            if (start > pendingStart)
            {
                output.Add(new TextSegment(text[pendingStart..start], segment.AtStart && pendingStart == 0));
            }

            output.Add(new TextSegment(text[start..stop], segment.AtStart && start == 0, token.Id));
            pendingStart = stop;
            i = stop;
        }

        if (pendingStart < text.Length)
        {
            output.Add(new TextSegment(
                pendingStart == 0 ? text : text[pendingStart..],
                segment.AtStart && pendingStart == 0));
        }
    }

    private AddedToken? MatchAt(string text, int index)
    {
        if (!_byFirstChar.TryGetValue(text[index], out var candidates))
        {
            return null;
        }

        var rest = text.AsSpan(index);
        foreach (var candidate in candidates)
        {
            if (!rest.StartsWith(candidate.Content, StringComparison.Ordinal))
            {
                continue;
            }

            if (candidate.SingleWord && !IsWholeWord(text, index, index + candidate.Content.Length))
            {
                continue;
            }

            return candidate;
        }

        return null;
    }

    private static bool IsWholeWord(string text, int start, int stop)
    {
        var startOk = start == 0 || !IsWordChar(text[start - 1]);
        var stopOk = stop == text.Length || !IsWordChar(text[stop]);
        return startOk && stopOk;
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_';
}
