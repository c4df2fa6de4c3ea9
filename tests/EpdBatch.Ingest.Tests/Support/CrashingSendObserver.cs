using EpdBatch.Contracts;
using MassTransit;

namespace EpdBatch.Ingest.Tests.Support;

/// <summary>
/// Makes an ingest "die" mid-publish: from the <c>after</c>-th encode command on, each send reaches the broker and
/// then never returns (so its window is sent but never recorded as sent) until <see cref="Kill"/> makes them fail.
/// </summary>
public sealed class CrashingSendObserver(int after) : ISendObserver
{
    private readonly TaskCompletionSource _killed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _sent;

    public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Kill() => _killed.TrySetException(new InvalidOperationException("The ingest process died."));

    public Task PreSend<T>(SendContext<T> context)
        where T : class => Task.CompletedTask;

    public async Task PostSend<T>(SendContext<T> context)
        where T : class
    {
        if (context.Message is EncodeItem && Interlocked.Increment(ref _sent) >= after)
        {
            Reached.TrySetResult();
            await _killed.Task;
        }
    }

    public Task SendFault<T>(SendContext<T> context, Exception exception)
        where T : class => Task.CompletedTask;
}
