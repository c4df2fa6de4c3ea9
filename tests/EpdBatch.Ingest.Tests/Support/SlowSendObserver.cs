using EpdBatch.Contracts;
using MassTransit;

namespace EpdBatch.Ingest.Tests.Support;

/// <summary>Slows each encode command down before it is sent, so that a test can act while a job is still sending.</summary>
public sealed class SlowSendObserver(TimeSpan delay) : ISendObserver
{
    public async Task PreSend<T>(SendContext<T> context)
        where T : class
    {
        if (context.Message is EncodeItem)
        {
            await Task.Delay(delay);
        }
    }

    public Task PostSend<T>(SendContext<T> context)
        where T : class => Task.CompletedTask;

    public Task SendFault<T>(SendContext<T> context, Exception exception)
        where T : class => Task.CompletedTask;
}
