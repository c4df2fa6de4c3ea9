using System.Threading.Channels;

namespace EpdBatch.Pipeline.Batching;

/// <summary>
/// Runs a model stage's forward passes on ONE dedicated thread (torch dispose scopes and inference mode are per
/// thread, and one device should see one stream of work), batching requests from many concurrent consumers: a batch
/// runs as soon as it holds <c>maxBatch</c> requests, or <c>maxWait</c> after its first request arrived, so a lone
/// item is never held long. Each caller awaits its own result; a failure of one batch fails only its requests.
/// </summary>
public sealed class ModelWorkQueue<TRequest, TResult> : IAsyncDisposable
{
    private readonly Channel<Entry> _channel = Channel.CreateUnbounded<Entry>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Func<IReadOnlyList<TRequest>, IReadOnlyList<TResult>> _process;
    private readonly Func<TRequest, int> _weight;
    private readonly int _maxBatch;
    private readonly TimeSpan _maxWait;
    private readonly Thread _thread;

    /// <param name="process">Runs one batch on the model thread; returns one result per request, in order.</param>
    /// <param name="weight">How much of the batch a request takes (e.g. its image count); 1 by default.</param>
    public ModelWorkQueue(string name, int maxBatch, TimeSpan maxWait, Func<IReadOnlyList<TRequest>, IReadOnlyList<TResult>> process, Func<TRequest, int>? weight = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        _process = process;
        _weight = weight ?? (static _ => 1);
        _maxBatch = maxBatch;
        _maxWait = maxWait;
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Busy time of the model thread, for per-stage statistics.</summary>
    public TimeSpan BusyTime { get; private set; }

    public long Batches { get; private set; }

    /// <summary>Queues a request and completes with its result (or its batch's exception).</summary>
    public Task<TResult> RunAsync(TRequest request, CancellationToken ct)
    {
        var entry = new Entry(request, new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        ObjectDisposedException.ThrowIf(!_channel.Writer.TryWrite(entry), this);
        return ct.CanBeCanceled ? entry.Completion.Task.WaitAsync(ct) : entry.Completion.Task;
    }

    private void Run()
    {
        var reader = _channel.Reader;
        var batch = new List<Entry>(_maxBatch);
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            batch.Clear();
            var weight = 0;
            var deadline = DateTime.UtcNow + _maxWait;
            while (weight < _maxBatch)
            {
                if (reader.TryRead(out var entry))
                {
                    batch.Add(entry);
                    weight += Math.Max(1, _weight(entry.Request));
                    continue;
                }
                var left = deadline - DateTime.UtcNow;
                if (batch.Count == 0 || left <= TimeSpan.Zero)
                {
                    break;
                }
                // Wait for more work, but never past the first request's deadline.
                using var timeout = new CancellationTokenSource(left);
                try
                {
                    if (!reader.WaitToReadAsync(timeout.Token).AsTask().GetAwaiter().GetResult())
                    {
                        break;
                    }
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            if (batch.Count > 0)
            {
                Execute(batch);
            }
        }
    }

    private void Execute(List<Entry> batch)
    {
        var started = DateTime.UtcNow;
        try
        {
            var results = _process(batch.Select(e => e.Request).ToArray());
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Completion.TrySetResult(results[i]);
            }
        }
        catch (Exception e)
        {
            foreach (var entry in batch)
            {
                entry.Completion.TrySetException(e);
            }
        }
        finally
        {
            BusyTime += DateTime.UtcNow - started;
            Batches++;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        await Task.Run(() => _thread.Join(TimeSpan.FromSeconds(30))).ConfigureAwait(false);
    }

    private sealed record Entry(TRequest Request, TaskCompletionSource<TResult> Completion);
}
