namespace EpdBatch.Planning.Simulation;

/// <summary>A FIFO of item ids on a growable ring buffer, with the longest it has been.</summary>
internal sealed class IntQueue
{
    private int[] _items = new int[16];
    private int _head;

    public int Count { get; private set; }

    public int Peak { get; private set; }

    public int Peek() => _items[_head];

    public void Enqueue(int item)
    {
        if (Count == _items.Length)
        {
            var grown = new int[_items.Length * 2];
            for (var i = 0; i < Count; i++)
            {
                grown[i] = _items[(_head + i) % _items.Length];
            }
            _items = grown;
            _head = 0;
        }
        _items[(_head + Count) % _items.Length] = item;
        Count++;
        if (Count > Peak)
        {
            Peak = Count;
        }
    }

    public int Dequeue()
    {
        var item = _items[_head];
        _head = (_head + 1) % _items.Length;
        Count--;
        return item;
    }
}
