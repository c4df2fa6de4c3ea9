using EpdBatch.Contracts;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace EpdBatch.Stages;

/// <summary>
/// The failure policy every stage consumer shares: a permanent failure publishes <see cref="ItemFailed"/> and
/// acknowledges the message (the job goes on); a transient one is rethrown for the retry policy, until the last
/// retry, when the item fails with <see cref="StageFailure.RetriesExhausted"/> instead of leaving the job hanging.
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
}
