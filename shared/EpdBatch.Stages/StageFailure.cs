using EpdBatch.Imaging;
using EpdBatch.Model;
using EpdBatch.Pipeline;

namespace EpdBatch.Stages;

/// <summary>
/// Why an item failed, in the words errors.jsonl uses. Permanent failures end the item at once; transient ones
/// (a server briefly away) are retried by the message retry policy first.
/// </summary>
public sealed record StageFailure(string Code, string Message, bool Permanent)
{
    public const string RetriesExhausted = "retries_exhausted";
    public const string InternalError = "internal_error";

    /// <summary>The item was delivered to a stage more often than <c>Epd:Reliability:MaxDeliveries</c> without finishing.</summary>
    public const string CrashLoop = "crash_loop";

    /// <summary>The item's tokens or KV snapshot kept vanishing, more often than <c>Epd:Reliability:MaxRecoveries</c>.</summary>
    public const string IntermediateLost = "intermediate_lost";

    public static StageFailure Classify(Exception error) => error switch
    {
        PermanentItemException p => new(p.Code, p.Message, true),
        MediaException m => new(m.Code, m.Message, true),
        ModelInputException m => new(m.Code, m.Message, true),
        ArgumentException a => new("invalid_request", a.Message, true),
        _ when TransientFailures.IsTransient(error) => new("transient", error.Message, false),
        // A bug or an unforeseen input: failing the item keeps the job going; the log has the stack trace.
        _ => new(InternalError, $"{error.GetType().Name}: {error.Message}", true),
    };
}
