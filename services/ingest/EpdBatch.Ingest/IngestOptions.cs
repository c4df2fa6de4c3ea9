using EpdBatch.Pipeline.Messaging;

namespace EpdBatch.Ingest;

/// <summary>
/// Settings of the ingest service (section <c>Epd:Ingest</c>): manifest limits, queue names, flushing, leases and
/// schedules. Validated at start (<see cref="GetValidationFailures"/>), so a misconfigured ingest fails with the
/// setting's name before it takes a job.
/// </summary>
public sealed class IngestOptions
{
    public const string SectionName = "Epd:Ingest";

    /// <summary>Longest manifest line, in bytes (newline excluded). Default 1 MiB.</summary>
    public int MaxLineBytes { get; set; } = 1024 * 1024;

    /// <summary>Most lines one manifest may have; a longer manifest fails the job.</summary>
    public int MaxItemsPerJob { get; set; } = 100_000;

    /// <summary>Most images one item may have (a video counts apart; at most one per item).</summary>
    public int MaxImagesPerItem { get; set; } = 8;

    /// <summary>
    /// Most frames an item may ask to sample from its video (<c>video_frames</c>, or <c>num_frames</c> in an OpenAI
    /// line's <c>mm_processor_kwargs</c>); a larger request is rejected with <c>limit_exceeded</c>. Where this section does
    /// not set it, it is the encoders' cap <c>Epd:Video:MaxFrames</c> (32 where neither is set), so one setting serves both.
    /// </summary>
    public int MaxVideoFrames { get; set; } = 32;

    /// <summary>Largest <c>max_tokens</c> an item may ask for.</summary>
    public int MaxTokensLimit { get; set; } = 4096;

    /// <summary>Token limit of items that give none, where the submission gives no default either.</summary>
    public int DefaultMaxTokens { get; set; } = 256;

    /// <summary>Longest prompt, in characters (system and user text together): messages carry the prompt, and stay small.</summary>
    public int MaxPromptChars { get; set; } = 8192;

    /// <summary>Highest temperature an item may ask for (the lowest is 0, greedy).</summary>
    public float MaxTemperature { get; set; } = 2f;

    /// <summary>Largest <c>top_k</c> an item may ask for (0 turns it off).</summary>
    public int MaxTopK { get; set; } = 1000;

    /// <summary>Whether an item must name at least one image or video (the pipeline is multimodal).</summary>
    public bool RequireMedia { get; set; } = true;

    /// <summary>Queue of the ingest's commands (<c>SubmitJob</c>, <c>CancelJob</c>, <c>RetryJob</c>); every replica reads it.</summary>
    public string JobQueue { get; set; } = "ingest-jobs";

    /// <summary>Queue of the item results (<c>ItemCompleted</c>, <c>ItemFailed</c>); every replica reads it.</summary>
    public string ResultsQueue { get; set; } = "ingest-results";

    /// <summary>
    /// The queue encode commands are sent to: the encoders' (<see cref="PipelineQueues.Encode"/>) unless another is
    /// named. Items a later stage sends back to be encoded again go to the encoders' queue whatever this says.
    /// </summary>
    public string EncodeQueue { get; set; } = PipelineQueues.Encode;

    /// <summary>Prefix of every Redis key the ingest writes, so that deployments (and test runs) sharing a Redis never meet.</summary>
    public string KeyPrefix { get; set; } = "epd:ingest:";

    /// <summary>Encode commands published at once before their progress is recorded; after a crash at most this many are sent twice.</summary>
    public int PublishWindow { get; set; } = 64;

    /// <summary>
    /// Most items of one job sent to the stages and not yet finished. It bounds what a job holds at once, whatever
    /// its size: messages in the queues, multimodal tokens and KV snapshots in Redis (up to this many snapshots
    /// wait for a decoder when decode is the slowest stage: size it to the model's snapshot size). It should
    /// exceed what the stages take in at once (replicas × prefetch), or they idle.
    /// </summary>
    public int MaxInFlight { get; set; } = 256;

    /// <summary>Finished results are written to a part file once this many are waiting…</summary>
    public int FlushEveryItems { get; set; } = 100;

    /// <summary>…or once the oldest has waited this long.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a cancelled job waits for items in flight before it drops them as <c>cancelled</c>.</summary>
    public TimeSpan CancelGracePeriod { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a replica looks for jobs without a driver and re-reads the counts of the jobs it drives.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a replica's claim on a job lasts without renewal: a replica that dies gives its jobs up after this.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long finished jobs (state, items, results in Redis) are kept for status and retry.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often the schedules are checked.</summary>
    public TimeSpan ScheduleCheckInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>A slot found due later than this after its time counts as missed (catch-up rules apply) rather than on time.</summary>
    public TimeSpan ScheduleMisfireGrace { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a client waits for the ingest service to answer a command.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Every problem, one line each, naming the setting as <c>Epd:Ingest:&lt;Name&gt;</c>.</summary>
    public IReadOnlyList<string> GetValidationFailures()
    {
        var failures = new List<string>();
        void Range(string name, long value, long min, long max)
        {
            if (value < min || value > max)
            {
                failures.Add($"{SectionName}:{name} must be between {min} and {max}, not {value}.");
            }
        }

        void Positive(string name, TimeSpan value)
        {
            if (value <= TimeSpan.Zero)
            {
                failures.Add($"{SectionName}:{name} must be positive, not {value}.");
            }
        }

        void QueueName(string name, string? value)
        {
            if (value is null || value.Length is 0 or > 200 || value.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
            {
                failures.Add($"{SectionName}:{name} must be a queue name of letters, digits, '-', '_' and '.', not '{value}'.");
            }
        }

        Range(nameof(MaxLineBytes), MaxLineBytes, 256, 64 * 1024 * 1024);
        Range(nameof(MaxItemsPerJob), MaxItemsPerJob, 1, 10_000_000);
        Range(nameof(MaxImagesPerItem), MaxImagesPerItem, 0, 1024);
        Range(nameof(MaxVideoFrames), MaxVideoFrames, 1, 1024);
        Range(nameof(MaxTokensLimit), MaxTokensLimit, 1, 1_000_000);
        Range(nameof(DefaultMaxTokens), DefaultMaxTokens, 1, MaxTokensLimit);
        Range(nameof(MaxPromptChars), MaxPromptChars, 1, 10_000_000);
        Range(nameof(MaxTopK), MaxTopK, 0, 1_000_000);
        Range(nameof(PublishWindow), PublishWindow, 1, 10_000);
        Range(nameof(MaxInFlight), MaxInFlight, 1, 1_000_000);
        Range(nameof(FlushEveryItems), FlushEveryItems, 1, 1_000_000);
        if (!(MaxTemperature >= 0 && MaxTemperature <= 100))
        {
            failures.Add($"{SectionName}:{nameof(MaxTemperature)} must be between 0 and 100, not {MaxTemperature}.");
        }

        QueueName(nameof(JobQueue), JobQueue);
        QueueName(nameof(ResultsQueue), ResultsQueue);
        QueueName(nameof(EncodeQueue), EncodeQueue);
        if (string.IsNullOrWhiteSpace(KeyPrefix) || KeyPrefix.Any(c => char.IsWhiteSpace(c) || c is '*' or '?' or '[' or ']' or '{' or '}'))
        {
            failures.Add($"{SectionName}:{nameof(KeyPrefix)} must be non-empty, without whitespace, glob characters or braces, not '{KeyPrefix}'.");
        }

        Positive(nameof(FlushInterval), FlushInterval);
        Positive(nameof(PollInterval), PollInterval);
        Positive(nameof(LeaseDuration), LeaseDuration);
        Positive(nameof(Retention), Retention);
        Positive(nameof(ScheduleCheckInterval), ScheduleCheckInterval);
        Positive(nameof(ScheduleMisfireGrace), ScheduleMisfireGrace);
        Positive(nameof(RequestTimeout), RequestTimeout);
        if (CancelGracePeriod < TimeSpan.Zero)
        {
            failures.Add($"{SectionName}:{nameof(CancelGracePeriod)} must not be negative, not {CancelGracePeriod}.");
        }

        // A lease renewed once per poll must outlive a few polls, or a busy replica loses its own jobs.
        if (LeaseDuration > TimeSpan.Zero && PollInterval > TimeSpan.Zero && LeaseDuration < 2 * PollInterval)
        {
            failures.Add($"{SectionName}:{nameof(LeaseDuration)} ({LeaseDuration}) must be at least twice {nameof(PollInterval)} ({PollInterval}).");
        }

        return failures;
    }
}
