namespace EpdBatch.Planning.Simulation;

/// <summary>
/// The simulator's event queue: a binary min-heap of value-type events ordered by time, then by insertion, so
/// equal-time events run first come first served and a run is deterministic. No allocation once grown.
/// </summary>
internal sealed class EventHeap
{
    private SimEvent[] _items = new SimEvent[64];
    private long _sequence;

    public int Count { get; private set; }

    public double PeekTime => _items[0].Time;

    public void Push(double time, EventKind kind, int a, int b)
    {
        if (Count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }
        var e = new SimEvent(time, _sequence++, kind, a, b);
        var i = Count++;
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (!Less(e, _items[parent]))
            {
                break;
            }
            _items[i] = _items[parent];
            i = parent;
        }
        _items[i] = e;
    }

    public SimEvent Pop()
    {
        var top = _items[0];
        var last = _items[--Count];
        var i = 0;
        while (true)
        {
            var child = 2 * i + 1;
            if (child >= Count)
            {
                break;
            }
            if (child + 1 < Count && Less(_items[child + 1], _items[child]))
            {
                child++;
            }
            if (!Less(_items[child], last))
            {
                break;
            }
            _items[i] = _items[child];
            i = child;
        }
        if (Count > 0)
        {
            _items[i] = last;
        }
        return top;
    }

    private static bool Less(in SimEvent x, in SimEvent y) => x.Time < y.Time || (x.Time == y.Time && x.Sequence < y.Sequence);
}

internal enum EventKind : byte
{
    /// <summary>A worker's batch or decode run ends (A = worker, B = its run version).</summary>
    WorkerDone,

    /// <summary>An item's payload reached the next stage's queue (A = item, B = stage).</summary>
    TransferDone,

    /// <summary>The oldest item of a stage's queue has waited its batch wait (A = stage).</summary>
    BatchTimer,

    /// <summary>A piece of the services' own work for an item ends (A = service lane, B = its version).</summary>
    ServiceDone,
}

internal readonly record struct SimEvent(double Time, long Sequence, EventKind Kind, int A, int B);
