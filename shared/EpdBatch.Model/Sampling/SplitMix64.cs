namespace EpdBatch.Model.Sampling;

/// <summary>
/// A counter-based uniform generator: the draw for (seed, step) depends on nothing else, so a sequence samples the
/// same tokens whichever batch it shares and whichever worker decodes it.
/// </summary>
internal static class SplitMix64
{
    public static double Uniform(ulong seed, long step)
    {
        var z = seed + (ulong)(step + 1) * 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        // 53 random bits → [0, 1)
        return (z >> 11) * (1.0 / (1UL << 53));
    }
}
