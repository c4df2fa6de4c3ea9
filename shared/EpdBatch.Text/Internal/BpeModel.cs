using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace EpdBatch.Text.Internal;

/// <summary>
/// The BPE model of a Hugging Face <c>tokenizer.json</c>: turns one pre-token into ids by applying merges in rank
/// order, as <c>tokenizers</c>' <c>Word::merge_all</c> does (lowest rank first, leftmost on ties).
/// </summary>
internal sealed class BpeModel
{
    // Hugging Face caches 10k words; prose and chat prompts repeat far fewer distinct words than that per batch.
    private const int CacheCapacity = 10_000;

    // Long runs (base64, minified code) rarely repeat, so caching them only evicts useful entries.
    private const int MaxCachedWordLength = 256;

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<long, (int Rank, int NewId)> _merges;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly int? _unkId;
    private readonly bool _fuseUnk;
    private readonly bool _byteFallback;
    private readonly bool _ignoreMerges;
    private readonly string _continuingSubwordPrefix;
    private readonly string _endOfWordSuffix;
    private readonly int[]? _byteFallbackIds;

    public BpeModel(
        Dictionary<string, int> vocab,
        IReadOnlyList<(string Left, string Right)> merges,
        string? unkToken,
        bool fuseUnk,
        bool byteFallback,
        bool ignoreMerges,
        string? continuingSubwordPrefix,
        string? endOfWordSuffix)
    {
        _vocab = vocab;
        _fuseUnk = fuseUnk;
        _byteFallback = byteFallback;
        _ignoreMerges = ignoreMerges;
        _continuingSubwordPrefix = continuingSubwordPrefix ?? string.Empty;
        _endOfWordSuffix = endOfWordSuffix ?? string.Empty;
        if (unkToken is not null && vocab.TryGetValue(unkToken, out var unk))
        {
            _unkId = unk;
        }

        _merges = new Dictionary<long, (int, int)>(merges.Count);
        for (var rank = 0; rank < merges.Count; rank++)
        {
            var (left, right) = merges[rank];
            if (!vocab.TryGetValue(left, out var leftId) || !vocab.TryGetValue(right, out var rightId))
            {
                throw new InvalidDataException($"BPE merge #{rank} ('{left}' '{right}') uses a token that is not in the vocabulary.");
            }

            var rightPart = _continuingSubwordPrefix.Length > 0 && right.StartsWith(_continuingSubwordPrefix, StringComparison.Ordinal)
                ? right[_continuingSubwordPrefix.Length..]
                : right;
            var merged = left + rightPart;
            if (!vocab.TryGetValue(merged, out var newId))
            {
                throw new InvalidDataException($"BPE merge #{rank} ('{left}' '{right}') produces '{merged}', which is not in the vocabulary.");
            }

            // The first occurrence wins, as in tokenizers: later duplicates would only carry a worse rank.
            _merges.TryAdd(Key(leftId, rightId), (rank, newId));
        }

        if (byteFallback)
        {
            _byteFallbackIds = new int[256];
            for (var b = 0; b < 256; b++)
            {
                _byteFallbackIds[b] = vocab.TryGetValue(ByteToken((byte)b), out var id) ? id : -1;
            }
        }
    }

    public static string ByteToken(byte value) => string.Create(CultureInfo.InvariantCulture, $"<0x{value:X2}>");

    public void Tokenize(string word, List<int> output)
    {
        if (word.Length == 0)
        {
            return;
        }

        if (_cache.TryGetValue(word, out var cached))
        {
            output.AddRange(cached);
            return;
        }

        var ids = TokenizeUncached(word);
        if (word.Length <= MaxCachedWordLength)
        {
            if (_cache.Count >= CacheCapacity)
            {
                _cache.Clear();
            }

            _cache.TryAdd(word, ids);
        }

        output.AddRange(ids);
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    private int[] TokenizeUncached(string word)
    {
        if (_ignoreMerges && _vocab.TryGetValue(word, out var whole))
        {
            return [whole];
        }

        var symbols = InitialSymbols(word);
        MergeAll(symbols);
        var result = new List<int>(symbols.Count);
        for (var i = 0; i != -1 && symbols.Count > 0; i = symbols[i].Next)
        {
            result.Add(symbols[i].Id);
        }

        return [.. result];
    }

    private List<Symbol> InitialSymbols(string word)
    {
        var symbols = new List<Symbol>(word.Length);
        var previousWasUnk = false;
        var index = 0;
        Span<byte> utf8 = stackalloc byte[4];
        while (index < word.Length)
        {
            Rune.DecodeFromUtf16(word.AsSpan(index), out var rune, out var consumed);
            var isFirst = index == 0;
            var isLast = index + consumed == word.Length;
            var text = word.Substring(index, consumed);
            index += consumed;
            if (!isFirst && _continuingSubwordPrefix.Length > 0)
            {
                text = _continuingSubwordPrefix + text;
            }

            if (isLast && _endOfWordSuffix.Length > 0)
            {
                text += _endOfWordSuffix;
            }

            if (_vocab.TryGetValue(text, out var id))
            {
                symbols.Add(new Symbol(id));
                previousWasUnk = false;
                continue;
            }

            if (_byteFallbackIds is not null)
            {
                var count = rune.EncodeToUtf8(utf8);
                var allKnown = true;
                for (var b = 0; b < count; b++)
                {
                    allKnown &= _byteFallbackIds[utf8[b]] >= 0;
                }

                if (allKnown)
                {
                    for (var b = 0; b < count; b++)
                    {
                        symbols.Add(new Symbol(_byteFallbackIds[utf8[b]]));
                    }

                    previousWasUnk = false;
                    continue;
                }
            }

            if (_unkId is int unkId)
            {
                if (!(_fuseUnk && previousWasUnk))
                {
                    symbols.Add(new Symbol(unkId));
                }

                previousWasUnk = true;
            }

            // Without an unknown token, tokenizers drops the character; so do we, rather than invent an id.
        }

        for (var i = 0; i < symbols.Count; i++)
        {
            symbols[i] = symbols[i] with { Prev = i - 1, Next = i + 1 < symbols.Count ? i + 1 : -1 };
        }

        return symbols;
    }

    private void MergeAll(List<Symbol> symbols)
    {
        if (symbols.Count < 2)
        {
            return;
        }

        var queue = new PriorityQueue<(int Pos, int Rank, int NewId), (int Rank, int Pos)>(symbols.Count);
        for (var i = 0; i + 1 < symbols.Count; i++)
        {
            if (_merges.TryGetValue(Key(symbols[i].Id, symbols[i + 1].Id), out var merge))
            {
                queue.Enqueue((i, merge.Rank, merge.NewId), (merge.Rank, i));
            }
        }

        while (queue.TryDequeue(out var top, out _))
        {
            var left = symbols[top.Pos];
            if (left.Removed || left.Next == -1)
            {
                continue;
            }

            var right = symbols[left.Next];

            // Entries go stale when a neighbour merged first; only the pair that still sits here may merge.
            if (!_merges.TryGetValue(Key(left.Id, right.Id), out var current) || current.Rank != top.Rank || current.NewId != top.NewId)
            {
                continue;
            }

            var rightIndex = left.Next;
            symbols[top.Pos] = left with { Id = top.NewId, Next = right.Next };
            symbols[rightIndex] = right with { Removed = true };
            if (right.Next != -1)
            {
                symbols[right.Next] = symbols[right.Next] with { Prev = top.Pos };
            }

            if (left.Prev != -1 && _merges.TryGetValue(Key(symbols[left.Prev].Id, top.NewId), out var before))
            {
                queue.Enqueue((left.Prev, before.Rank, before.NewId), (before.Rank, left.Prev));
            }

            if (right.Next != -1 && _merges.TryGetValue(Key(top.NewId, symbols[right.Next].Id), out var after))
            {
                queue.Enqueue((top.Pos, after.Rank, after.NewId), (after.Rank, top.Pos));
            }
        }
    }

    private readonly record struct Symbol(int Id, int Prev = -1, int Next = -1, bool Removed = false);
}
