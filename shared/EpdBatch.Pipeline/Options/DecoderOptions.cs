namespace EpdBatch.Pipeline.Options;

/// <summary>The decoder: continuous batching of token generation. Section <c>Epd:Decoder</c>; default batch size 16.</summary>
public sealed class DecoderOptions : StageOptions, IEpdOptionsSection
{
    public const int DefaultMaxBatchSize = 16;

    public const long DefaultDeviceHandoffMaxBytes = 8L << 30;

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

    /// <summary>
    /// Where prefill and decoder run in one process over the in-process tensor store (the embedded mode), prefill
    /// hands each item's KV cache to the decoder on the device instead of as a host snapshot. Never in the
    /// distributed mode. On by default; false takes the host path for every item.
    /// </summary>
    public bool DeviceHandoff { get; set; } = true;

    /// <summary>
    /// Most bytes of KV cache the device hand-off holds at once (prefilled, not yet in the decode batch); an item that
    /// does not fit takes the host snapshot path. A 2,363-token LLaVA-1.5-7B item in bf16 takes 1.24 GB.
    /// </summary>
    public long DeviceHandoffMaxBytes { get; set; } = DefaultDeviceHandoffMaxBytes;

    private protected override void AddStageValidationFailures(string section, List<string> failures)
    {
        if (DeviceHandoffMaxBytes is < 1 or > 1L << 40)
        {
            failures.Add($"{section}:{nameof(DeviceHandoffMaxBytes)} must be between 1 and {1L << 40} (1 TiB), not {DeviceHandoffMaxBytes}.");
        }

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
