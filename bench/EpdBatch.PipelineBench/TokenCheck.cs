namespace EpdBatch.PipelineBench;

/// <summary>Greedy tokens of one run against a reference run, item by item.</summary>
internal sealed record TokenCheck(string Run, string Reference, int Compared, int Mismatched, IReadOnlyList<string> Examples)
{
    public static TokenCheck Compare(string run, IReadOnlyDictionary<string, int[]> tokens, string reference, IReadOnlyDictionary<string, int[]> expected)
    {
        var examples = new List<string>();
        var mismatched = 0;
        foreach (var (id, want) in expected.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            string? problem = null;
            if (!tokens.TryGetValue(id, out var got))
            {
                problem = "no result";
            }
            else if (!got.SequenceEqual(want))
            {
                var at = Enumerable.Range(0, Math.Min(got.Length, want.Length)).FirstOrDefault(k => got[k] != want[k], Math.Min(got.Length, want.Length));
                problem = $"{got.Length} vs {want.Length} tokens, first difference at {at}";
            }
            if (problem is not null)
            {
                mismatched++;
                if (examples.Count < 5)
                {
                    examples.Add($"{id}: {problem}");
                }
            }
        }
        return new TokenCheck(run, reference, expected.Count, mismatched, examples);
    }
}
