using Polly;
using Polly.Retry;
using StackExchange.Redis;

namespace EpdBatch.Pipeline.Storage;

/// <summary>The retry pipelines of the stores: one per concern, built once by each store and shared by its calls.</summary>
internal static class StorageResilience
{
    public static ResiliencePipeline ForRedis(EpdStorageOptions options, TimeProvider timeProvider) =>
        Build(options, timeProvider, options.RedisTryTimeout,
            new PredicateBuilder().Handle<RedisConnectionException>().Handle<RedisTimeoutException>().Handle<Polly.Timeout.TimeoutRejectedException>());

    public static ResiliencePipeline ForBlob(EpdStorageOptions options, TimeProvider timeProvider) =>
        Build(options, timeProvider, options.BlobTryTimeout,
            new PredicateBuilder().Handle<Exception>(static e => e is not PermanentItemException && TransientFailures.IsTransient(e)));

    private static ResiliencePipeline Build(EpdStorageOptions options, TimeProvider timeProvider, TimeSpan tryTimeout, PredicateBuilder<object> shouldHandle)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = timeProvider };
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = shouldHandle,
                MaxRetryAttempts = options.MaxRetries,
                Delay = options.RetryBaseDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            });
        }

        // Added after the retry, so it sits inside it: the timeout bounds each try, not all of them.
        return builder.AddTimeout(tryTimeout).Build();
    }
}
