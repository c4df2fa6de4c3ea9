using EpdBatch.Contracts;
using EpdBatch.Pipeline;
using EpdBatch.Pipeline.Messaging;
using EpdBatch.Pipeline.Progress;
using EpdBatch.Pipeline.Reliability;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EpdBatch.Stages;

/// <summary>
/// The delivery and failure policy every stage consumer shares. Each delivery of an item to a stage is counted
/// (<see cref="IDeliveryLedger"/>) before the stage's work starts and forgotten once the item has left the stage,
/// so a count that keeps growing means deliveries that never finished: past
/// <see cref="ReliabilityOptions.MaxDeliveries"/> the item fails with <see cref="StageFailure.CrashLoop"/> instead
/// of killing its worker again. A permanent failure publishes <see cref="ItemFailed"/> and acknowledges the message
/// (the job goes on); a transient one is rethrown for the retry policy, until the last retry, when the item fails
/// with <see cref="StageFailure.RetriesExhausted"/> instead of leaving the job hanging.
/// An item of a cancelled job is not run at all (<see cref="SkipIfCancelledAsync{T}"/>), or, where a stage notices
/// the cancel part-way, reported as cancelled then (<see cref="ReportCancelledAsync{T}"/>).
/// </summary>
public sealed class ItemConsumption(
    IDeliveryLedger ledger,
    IOptions<ReliabilityOptions> reliability,
    IOptions<EpdMessagingOptions> messaging,
    TimeProvider time,
    ILogger<ItemConsumption> logger)
{
    private readonly ReliabilityOptions _reliability = reliability.Value;

    public async Task RunAsync<T>(ConsumeContext<T> context, string stage, string jobId, int itemIndex, string customId, Func<Task> body)
        where T : class
    {
        var ct = context.CancellationToken;
        try
        {
            // The retry policy calls again within the same delivery: only a fresh delivery counts.
            if (context.GetRetryAttempt() == 0)
            {
                var deliveries = await ledger.CountDeliveryAsync(stage, jobId, itemIndex, _reliability.DeliveryCountTtl, ct).ConfigureAwait(false);
                if (deliveries > _reliability.MaxDeliveries)
                {
                    await FailCrashLoopAsync(context, stage, jobId, itemIndex, customId, deliveries - 1).ConfigureAwait(false);
                    await ForgetDeliveriesAsync(stage, jobId, itemIndex).ConfigureAwait(false);
                    return;
                }

                if (deliveries > 1)
                {
                    logger.LogWarning("{Stage}: item {Job}/{Item} delivered again (delivery {Delivery} of at most {Max}): an earlier one did not finish",
                        stage, jobId, itemIndex, deliveries, _reliability.MaxDeliveries);
                }
            }

            await body().ConfigureAwait(false);
        }
        catch (Exception error) when (error is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            var failure = StageFailure.Classify(error);
            if (!failure.Permanent && context.GetRetryAttempt() < messaging.Value.EffectiveRetryIntervals.Count)
            {
                logger.LogWarning("{Stage}: item {Job}/{Item} failed transiently ({Message}); retrying", stage, jobId, itemIndex, error.Message);
                throw;
            }
            if (failure.Code == StageFailure.InternalError)
            {
                logger.LogError(error, "{Stage}: item {Job}/{Item} failed unexpectedly", stage, jobId, itemIndex);
            }
            var code = failure.Permanent ? failure.Code : StageFailure.RetriesExhausted;
            // The message reaches errors.jsonl: an exception's text may quote a URI with its SAS, or a connection string.
            var message = SecretRedactor.Redact(failure.Message);
            await context.Publish(new ItemFailed(jobId, itemIndex, customId, stage, code, message), ct).ConfigureAwait(false);
        }

        await ForgetDeliveriesAsync(stage, jobId, itemIndex).ConfigureAwait(false);
    }

    /// <summary>
    /// The item's multimodal tokens or KV snapshot are gone (<paramref name="lost"/> says which): sends its encode
    /// command back to the encoders' queue (<see cref="PipelineQueues.Encode"/>) as the next attempt, or, past <see cref="ReliabilityOptions.MaxRecoveries"/>,
    /// throws the <c>intermediate_lost</c> failure.
    /// </summary>
    public async Task SendBackAsync(ConsumeContext context, string stage, string jobId, int itemIndex, EncodeItem? origin, string lost)
    {
        if (origin is null)
        {
            throw new PermanentItemException(stage, StageFailure.IntermediateLost, $"{lost}, and the message carries no encode command to run the item again from");
        }

        if (origin.Recoveries >= _reliability.MaxRecoveries)
        {
            throw new PermanentItemException(stage, StageFailure.IntermediateLost,
                $"{lost} after the item was run again {origin.Recoveries} times (Epd:Reliability:MaxRecoveries = {_reliability.MaxRecoveries})");
        }

        // Counted before the command goes out: a failure here retries with nothing sent twice.
        await ledger.IncrementAsync(jobId, ReliabilityCounters.Recoveries(stage), context.CancellationToken).ConfigureAwait(false);
        var again = origin with { Recoveries = origin.Recoveries + 1, EnqueuedAt = time.GetUtcNow() };
        var encode = await context.GetSendEndpoint(PipelineQueues.EncodeAddress).ConfigureAwait(false);
        await encode.Send(again, context.CancellationToken).ConfigureAwait(false);
        logger.LogWarning("{Stage}: item {Job}/{Item}: {Lost}; sent back to the encoder (recovery {Recovery} of at most {Max})",
            stage, jobId, itemIndex, lost, again.Recoveries, _reliability.MaxRecoveries);
    }

    private async Task FailCrashLoopAsync<T>(ConsumeContext<T> context, string stage, string jobId, int itemIndex, string customId, long unfinished)
        where T : class
    {
        var message = $"the {stage} took the item {unfinished} times and never finished it (its worker died or stopped each time); " +
            $"failed rather than delivered again (Epd:Reliability:MaxDeliveries = {_reliability.MaxDeliveries})";
        logger.LogError("{Stage}: item {Job}/{Item}: {Message}", stage, jobId, itemIndex, message);
        await ledger.IncrementAsync(jobId, ReliabilityCounters.CrashLoops(stage), context.CancellationToken).ConfigureAwait(false);
        await context.Publish(new ItemFailed(jobId, itemIndex, customId, stage, StageFailure.CrashLoop, message), context.CancellationToken).ConfigureAwait(false);
    }

    private async Task ForgetDeliveriesAsync(string stage, string jobId, int itemIndex)
    {
        // Best effort: the item's outputs are out, and failing now would run it again. A count left behind expires.
        try
        {
            await ledger.ClearDeliveriesAsync(stage, jobId, itemIndex, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (TransientFailures.IsTransient(e))
        {
            logger.LogWarning("{Stage}: item {Job}/{Item}: could not clear its delivery count ({Message}); it expires by itself", stage, jobId, itemIndex, e.Message);
        }
    }

    /// <summary>
    /// Where the item's job was cancelled, reports the item as <see cref="IJobCancellation.CancelledCode"/> (so the
    /// ingest counts it at once instead of waiting out its grace period) and returns true: the consumer then
    /// acknowledges the message without doing its work. Call it first thing in the body, so that a Redis hiccup
    /// takes the retry path like any other store call.
    /// </summary>
    public async Task<bool> SkipIfCancelledAsync<T>(ConsumeContext<T> context, IJobCancellation cancellation, string stage, string jobId, int itemIndex,
        string customId)
        where T : class
    {
        if (!await cancellation.IsCancelledAsync(jobId, context.CancellationToken).ConfigureAwait(false))
        {
            return false;
        }
        logger.LogDebug("{Stage}: item {Job}/{Item} skipped, its job was cancelled", stage, jobId, itemIndex);
        await ReportCancelledAsync(context, stage, jobId, itemIndex, customId, $"The job was cancelled before the {stage} ran this item.").ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Reports the item as <see cref="IJobCancellation.CancelledCode"/>: for a stage that stopped its work on the
    /// item part-way because its job was cancelled (the consumer then acknowledges the message).
    /// </summary>
    public Task ReportCancelledAsync<T>(ConsumeContext<T> context, string stage, string jobId, int itemIndex, string customId, string message)
        where T : class =>
        context.Publish(new ItemFailed(jobId, itemIndex, customId, stage, IJobCancellation.CancelledCode, message), context.CancellationToken);
}
