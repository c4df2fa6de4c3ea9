namespace EpdBatch.PipelineBench;

/// <summary>
/// Torch threads per service process, as OMP_NUM_THREADS/MKL_NUM_THREADS of the encoder, prefill and decoder
/// processes; null leaves the variable unset (torch's default: one thread per core).
/// </summary>
internal sealed record ServiceThreads(int? Encoder, int? Prefill, int? Decoder)
{
    public string Name => Encoder is null && Prefill is null && Decoder is null
        ? "default"
        : $"{Show(Encoder)}/{Show(Prefill)}/{Show(Decoder)}";

    /// <summary>"default", one number for all three stages, or "E/P/D" (a number or "d" each).</summary>
    public static ServiceThreads Parse(string text)
    {
        if (text == "default")
        {
            return new ServiceThreads(null, null, null);
        }
        var parts = text.Split('/');
        if (parts.Length == 1)
        {
            var all = Number(parts[0]);
            return new ServiceThreads(all, all, all);
        }
        if (parts.Length != 3)
        {
            throw new ArgumentException($"--service-threads {text}: 'default', N, or E/P/D");
        }
        return new ServiceThreads(Number(parts[0]), Number(parts[1]), Number(parts[2]));
    }

    public IReadOnlyDictionary<string, string> EnvironmentFor(string stage)
    {
        var threads = stage switch
        {
            "encoder" => Encoder,
            "prefill" => Prefill,
            "decoder" => Decoder,
            _ => null,
        };
        return threads is { } n
            ? new Dictionary<string, string> { ["OMP_NUM_THREADS"] = n.ToString(), ["MKL_NUM_THREADS"] = n.ToString() }
            : new Dictionary<string, string>();
    }

    private static int? Number(string part) => part == "d" ? null : int.Parse(part) is > 0 and var n ? n : throw new ArgumentException($"thread count {part}");

    private static string Show(int? n) => n?.ToString() ?? "d";
}
