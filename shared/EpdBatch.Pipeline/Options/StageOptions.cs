using System.Text.RegularExpressions;

namespace EpdBatch.Pipeline.Options;

/// <summary>
/// Settings every model stage shares: batching, consumer concurrency and prefetch, the device, the model folder
/// and the TTLs of what it writes to the tensor store. Bound from the stage's section and validated at start
/// (<see cref="StageOptionsServiceCollectionExtensions.AddEpdStageOptions{TOptions}"/>).
/// </summary>
public abstract partial class StageOptions
{
    public const int MaxBatchSizeLimit = 1024;

    private protected StageOptions(int defaultMaxBatchSize) => MaxBatchSize = defaultMaxBatchSize;

    /// <summary>Most items in one forward pass (1..1024).</summary>
    public int MaxBatchSize { get; set; }

    /// <summary>How long a partial batch waits for more items before it runs.</summary>
    public int MaxBatchWaitMs { get; set; } = 20;

    /// <summary>Messages a worker handles at once; 0 (the default) means <see cref="MaxBatchSize"/>, so one batch can fill.</summary>
    public int ConcurrentMessageLimit { get; set; }

    /// <summary>Messages the broker sends ahead; 0 (the default) means twice <see cref="ConcurrentMessageLimit"/>, so the next batch is waiting.</summary>
    public int PrefetchCount { get; set; }

    /// <summary><c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public string Device { get; set; } = "cpu";

    /// <summary>The model folder; EPD_MODEL where not set.</summary>
    public string? ModelPath { get; set; }

    /// <summary>TTL of the multimodal tokens the stage writes.</summary>
    public TimeSpan TokenTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>TTL of the KV snapshots the stage writes.</summary>
    public TimeSpan KvTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Fills the derived defaults (0 = derive) and the model folder from EPD_MODEL.</summary>
    public void ApplyDefaults(string? modelFallback)
    {
        if (ConcurrentMessageLimit == 0)
        {
            ConcurrentMessageLimit = MaxBatchSize;
        }

        if (PrefetchCount == 0)
        {
            PrefetchCount = 2 * ConcurrentMessageLimit;
        }

        if (string.IsNullOrWhiteSpace(ModelPath))
        {
            ModelPath = string.IsNullOrWhiteSpace(modelFallback) ? null : modelFallback;
        }
    }

    /// <summary>Every problem, one line each, naming the setting as <c>&lt;section&gt;:&lt;Name&gt;</c>.</summary>
    public IReadOnlyList<string> GetValidationFailures(string section)
    {
        var failures = new List<string>();
        if (MaxBatchSize is < 1 or > MaxBatchSizeLimit)
        {
            failures.Add($"{section}:{nameof(MaxBatchSize)} must be between 1 and {MaxBatchSizeLimit}, not {MaxBatchSize}.");
        }

        if (MaxBatchWaitMs is < 0 or > 60_000)
        {
            failures.Add($"{section}:{nameof(MaxBatchWaitMs)} must be between 0 and 60000, not {MaxBatchWaitMs}.");
        }

        if (ConcurrentMessageLimit is < 1 or > 10_000)
        {
            failures.Add($"{section}:{nameof(ConcurrentMessageLimit)} must be between 1 and 10000 (0 means MaxBatchSize), not {ConcurrentMessageLimit}.");
        }

        // RabbitMQ's prefetch is a 16-bit count; fewer than the concurrency would leave consumers idle.
        if (PrefetchCount < ConcurrentMessageLimit || PrefetchCount > ushort.MaxValue)
        {
            failures.Add($"{section}:{nameof(PrefetchCount)} must be between ConcurrentMessageLimit ({ConcurrentMessageLimit}) and {ushort.MaxValue} (0 means twice ConcurrentMessageLimit), not {PrefetchCount}.");
        }

        if (Device is null || !DevicePattern().IsMatch(Device))
        {
            failures.Add($"{section}:{nameof(Device)} must be 'cpu', 'cuda' or 'cuda:N', not '{Device}'.");
        }

        if (ModelPath is null)
        {
            failures.Add($"{section}:{nameof(ModelPath)} is not set, nor is {EpdConnectionOptions.ModelVariable}: name the model folder.");
        }
        else if (!Directory.Exists(ModelPath))
        {
            failures.Add($"{section}:{nameof(ModelPath)} (or {EpdConnectionOptions.ModelVariable}) names a folder that does not exist: '{ModelPath}'.");
        }

        if (TokenTtl <= TimeSpan.Zero)
        {
            failures.Add($"{section}:{nameof(TokenTtl)} must be positive, not {TokenTtl}.");
        }

        if (KvTtl <= TimeSpan.Zero)
        {
            failures.Add($"{section}:{nameof(KvTtl)} must be positive, not {KvTtl}.");
        }

        AddStageValidationFailures(section, failures);
        return failures;
    }

    /// <summary>A stage's own settings' problems, added after the shared ones.</summary>
    private protected virtual void AddStageValidationFailures(string section, List<string> failures)
    {
    }

    [GeneratedRegex(@"^(cpu|cuda(:[0-9]{1,2})?)$")]
    private static partial Regex DevicePattern();
}
