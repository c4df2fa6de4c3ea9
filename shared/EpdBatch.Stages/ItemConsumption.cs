using EpdBatch.Contracts;
using EpdBatch.Pipeline.Progress;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace EpdBatch.Stages;

/// <summary>
/// The failure policy every stage consumer shares: a permanent failure publishes <see cref="ItemFailed"/> and
/// acknowledges the message (the job goes on); a transient one is rethrown for the retry policy, until the last
/// retry, when the item fails with <see cref="StageFailure.RetriesExhausted"/> instead of leaving the job hanging.
/// An item of a cancelled job is not run at all (<see cref="SkipIfCancelledAsync{T}"/>).
/// </summary>
public static class ItemConsumption
{
    public static async Task RunAsync<T>(ConsumeContext<T> context, string stage, string jobId, int itemIndex, string customId,
        int maxRetries, ILogger logger, Func<Task> body)
        where T : class
    {
        try
        {
            await body().ConfigureAwait(false);
        }
        catch (Exception error) when (error is not OperationCanceledException || !context.CancellationToken.IsCancellationRequested)
        {
            var failure = StageFailure.Classify(error);
            if (!failure.Permanent && context.GetRetryAttempt() < maxRetries)
            {
                logger.LogWarning("{Stage}: item {Job}/{Item} failed transiently ({Message}); retrying", stage, jobId, itemIndex, error.Message);
                throw;
            }
            if (failure.Code == StageFailure.InternalError)
            {
                logger.LogError(error, "{Stage}: item {Job}/{Item} failed unexpectedly", stage, jobId, itemIndex);
            }
            var code = failure.Permanent ? failure.Code : StageFailure.RetriesExhausted;
            await context.Publish(new ItemFailed(jobId, itemIndex, customId, stage, code, failure.Message), context.CancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Where the item's job was cancelled, reports the item as <see cref="IJobCancellation.CancelledCode"/> (so the
    /// ingest counts it at once instead of waiting out its grace period) and returns true: the consumer then
    /// acknowledges the message without doing its work. Call it first thing in the body, so that a Redis hiccup
    /// takes the retry path like any other store call.
    /// </summary>
    public static async Task<bool> SkipIfCancelledAsync<T>(ConsumeContext<T> context, IJobCancellation cancellation, string stage, string jobId, int itemIndex,
        string customId, ILogger logger)
        where T : class
    {
        if (!await cancellation.IsCancelledAsync(jobId, context.CancellationToken).ConfigureAwait(false))
        {
            return false;
        }
        logger.LogDebug("{Stage}: item {Job}/{Item} skipped, its job was cancelled", stage, jobId, itemIndex);
        await context.Publish(new ItemFailed(jobId, itemIndex, customId, stage, IJobCancellation.CancelledCode,
            $"The job was cancelled before the {stage} ran this item."), context.CancellationToken).ConfigureAwait(false);
        return true;
    }
}
