namespace EpdBatch.ExportBench;

/// <summary>
/// Reads the managed heap's size (<see cref="GC.GetTotalMemory(bool)"/>, garbage not yet collected included) every
/// millisecond on a thread of its own, and keeps the largest.
/// </summary>
internal sealed class ManagedHeapSampler : IDisposable
{
    private readonly Thread _thread;
    private volatile bool _stop;
    private long _peak;
    private int _samples;

    public ManagedHeapSampler()
    {
        _peak = GC.GetTotalMemory(forceFullCollection: false);
        _thread = new Thread(Loop) { IsBackground = true, Name = "heap sampler" };
        _thread.Start();
    }

    public (long PeakBytes, int Samples) Stop()
    {
        _stop = true;
        _thread.Join();
        Sample();
        return (_peak, _samples);
    }

    public void Dispose()
    {
        if (!_stop)
        {
            Stop();
        }
    }

    private void Loop()
    {
        while (!_stop)
        {
            Sample();
            Thread.Sleep(1);
        }
    }

    private void Sample()
    {
        _peak = Math.Max(_peak, GC.GetTotalMemory(forceFullCollection: false));
        _samples++;
    }
}
