namespace EpdBatch.Model.Tests;

/// <summary>
/// A background thread that forces collections and runs the pending finalizers in a loop until disposed, so that
/// any native object whose .NET owner is already unreachable is freed as early as the runtime allows.
/// </summary>
internal sealed class GcPressure : IDisposable
{
    private readonly Thread _thread;
    private volatile bool _stop;
    private long _collections;

    public GcPressure()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "gc-pressure" };
        _thread.Start();
    }

    /// <summary>Collections completed (each followed by its finalizers) so far.</summary>
    public long Collections => Interlocked.Read(ref _collections);

    private void Run()
    {
        while (!_stop)
        {
            // Gen 0 only: the temporaries in question are young, and full collections of the test host's heap
            // would stall the thread under test for most of the time.
            GC.Collect(0, GCCollectionMode.Forced, blocking: true);
            GC.WaitForPendingFinalizers();
            Interlocked.Increment(ref _collections);
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }
}
