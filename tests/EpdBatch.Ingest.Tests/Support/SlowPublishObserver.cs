using EpdBatch.Contracts;
using MassTransit;

namespace EpdBatch.Ingest.Tests.Support;

/// <summary>Slows each encode command down before it is published, so that a test can act while a job is still publishing.</summary>
public sealed class SlowPublishObserver(TimeSpan delay) : IPublishObserver
{
    public async Task PrePublish<T>(PublishContext<T> context)
        where T : class
    {
        if (context.Message is EncodeItem)
        {
            await Task.Delay(delay);
        }
    }

    public Task PostPublish<T>(PublishContext<T> context)
        where T : class => Task.CompletedTask;

    public Task PublishFault<T>(PublishContext<T> context, Exception exception)
        where T : class => Task.CompletedTask;
}
