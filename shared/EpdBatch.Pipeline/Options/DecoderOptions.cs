namespace EpdBatch.Pipeline.Options;

/// <summary>The decoder: continuous batching of token generation. Section <c>Epd:Decoder</c>; default batch size 16.</summary>
public sealed class DecoderOptions : StageOptions, IEpdOptionsSection
{
    public const int DefaultMaxBatchSize = 16;

    public DecoderOptions()
        : base(DefaultMaxBatchSize)
    {
    }

    public static string SectionName => "Epd:Decoder";

    /// <summary>
    /// Positions (prompt + generated tokens) each decode slot holds; 0 means the model's context length. The KV cache
    /// takes MaxBatchSize × MaxContext positions per layer, so lower it to fit a large batch in device memory.
    /// </summary>
    public int MaxContext { get; set; }

    /// <summary>
    /// How often an item that is decoding asks whether its job was cancelled; a cancelled one leaves the batch at the
    /// next step and is reported as cancelled, so its slot and steps go to the others.
    /// </summary>
    public TimeSpan CancelCheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    private protected override void AddStageValidationFailures(string section, List<string> failures)
    {
        if (MaxContext is < 0 or > 10_000_000)
        {
            failures.Add($"{section}:{nameof(MaxContext)} must be between 0 and 10000000 (0 means the model's context), not {MaxContext}.");
        }

        if (CancelCheckInterval < TimeSpan.FromMilliseconds(10) || CancelCheckInterval > TimeSpan.FromMinutes(10))
        {
            failures.Add($"{section}:{nameof(CancelCheckInterval)} must be between 00:00:00.010 and 00:10:00, not {CancelCheckInterval}.");
        }
    }
}
