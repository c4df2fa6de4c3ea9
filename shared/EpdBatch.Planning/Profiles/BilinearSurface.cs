namespace EpdBatch.Planning.Profiles;

/// <summary>
/// A cost over batch × length: bilinear between grid points, flat below the first row and column, and the edge
/// cells extended linearly beyond the grid (exact where cost grows as batch × length). For a fixed batch the
/// surface is linear in length between the grid's lengths, which <see cref="SumOverLengths"/> relies on.
/// </summary>
internal sealed class BilinearSurface
{
    private readonly double[] _b;
    private readonly double[] _l;
    private readonly double[,] _v;

    /// <summary>
    /// Per whole batch size up to a limit: the cost at each grid length, then the slope beyond the last. At a fixed
    /// batch the surface is piecewise linear in length, so these rows evaluate it exactly and cheaply.
    /// </summary>
    private readonly double[][] _rows;

    private const int CachedBatches = 1024;

    public BilinearSurface(CostGrid grid)
    {
        _b = [.. grid.Batches];
        _l = [.. grid.Lengths];
        _v = new double[_b.Length, _l.Length];
        for (var i = 0; i < _b.Length; i++)
        {
            for (var j = 0; j < _l.Length; j++)
            {
                _v[i, j] = grid.Seconds[i][j];
            }
        }
        // Non-decreasing along both axes: more sequences or more tokens never cost less.
        for (var i = 0; i < _b.Length; i++)
        {
            for (var j = 0; j < _l.Length; j++)
            {
                var left = j > 0 ? _v[i, j - 1] : 0;
                var up = i > 0 ? _v[i - 1, j] : 0;
                _v[i, j] = Math.Max(_v[i, j], Math.Max(left, up));
            }
        }
        _rows = new double[CachedBatches + 1][];
        for (var b = 1; b <= CachedBatches; b++)
        {
            _rows[b] = MakeRow(b);
        }
    }

    public double MaxBatch => _b[^1];

    public double MaxLength => _l[^1];

    public double Evaluate(double batch, double length) => EvaluateRow(Row(batch), length);

    private double[] Row(double batch)
    {
        var b = (int)batch;
        return b == batch && b >= 1 && b <= CachedBatches ? _rows[b] : MakeRow(batch);
    }

    private double[] MakeRow(double batch)
    {
        var row = new double[_l.Length + 1];
        for (var j = 0; j < _l.Length; j++)
        {
            row[j] = EvaluateGrid(batch, _l[j]);
        }
        row[_l.Length] = _l.Length == 1
            ? row[0] / _l[0]
            : Math.Max(0, (row[_l.Length - 1] - row[_l.Length - 2]) / (_l[^1] - _l[^2]));
        return row;
    }

    private double EvaluateRow(double[] row, double length)
    {
        var last = _l.Length - 1;
        if (length <= _l[0])
        {
            return row[0];
        }
        if (length >= _l[last])
        {
            return row[last] + (length - _l[last]) * row[last + 1];
        }
        var j = 1;
        while (_l[j] < length)
        {
            j++;
        }
        var t = (length - _l[j - 1]) / (_l[j] - _l[j - 1]);
        return row[j - 1] + t * (row[j] - row[j - 1]);
    }

    private double EvaluateGrid(double batch, double length)
    {
        var (i, u) = Locate(_b, batch);
        var (j, v) = Locate(_l, length);
        if (_b.Length == 1 && _l.Length == 1)
        {
            return _v[0, 0] * Scale(_b[0], batch) * Scale(_l[0], length);
        }
        double f;
        if (_b.Length == 1)
        {
            f = Lerp(_v[0, j], _v[0, j + 1], v) * Scale(_b[0], batch);
        }
        else if (_l.Length == 1)
        {
            f = Lerp(_v[i, 0], _v[i + 1, 0], u) * Scale(_l[0], length);
        }
        else
        {
            var low = Lerp(_v[i, j], _v[i, j + 1], v);
            var high = Lerp(_v[i + 1, j], _v[i + 1, j + 1], v);
            f = Lerp(low, high, u);
        }
        // Extrapolation of a noisy edge cell must not drop below what the grid measured at its edge.
        var floorB = Math.Min(_b.Length - 1, batch >= _b[^1] ? _b.Length - 1 : i);
        var floorL = Math.Min(_l.Length - 1, length >= _l[^1] ? _l.Length - 1 : j);
        return Math.Max(f, _v[floorB, floorL]);
    }

    /// <summary>Σ Evaluate(batch, first + s) for s in [0, count): exact, in one term per grid segment crossed.</summary>
    public double SumOverLengths(double batch, int first, int count)
    {
        var row = Row(batch);
        var total = 0.0;
        var c = first;
        var end = first + count - 1;
        while (c <= end)
        {
            // The surface is linear in length up to the next grid length after c.
            var pieceEnd = end;
            foreach (var l in _l)
            {
                if (l > c)
                {
                    pieceEnd = Math.Min(end, (int)Math.Floor(l));
                    break;
                }
            }
            var n = pieceEnd - c + 1;
            total += n * 0.5 * (EvaluateRow(row, c) + EvaluateRow(row, pieceEnd));
            c = pieceEnd + 1;
        }
        return total;
    }

    /// <summary>
    /// The fewest steps m (1 ≤ m ≤ <paramref name="count"/>) whose summed cost from length <paramref name="first"/>
    /// reaches <paramref name="budget"/>, or <paramref name="count"/> if all of them do not; <paramref name="elapsed"/>
    /// is their summed cost. Whole grid segments at a time, then a bisection inside one: O(segments + log count).
    /// </summary>
    public int StepsToReach(double batch, int first, int count, double budget, out double elapsed)
    {
        var row = Row(batch);
        var total = 0.0;
        var done = 0;
        var c = first;
        var end = first + count - 1;
        while (c <= end)
        {
            var pieceEnd = end;
            foreach (var l in _l)
            {
                if (l > c)
                {
                    pieceEnd = Math.Min(end, (int)Math.Floor(l));
                    break;
                }
            }
            var n = pieceEnd - c + 1;
            var f0 = EvaluateRow(row, c);
            var f1 = EvaluateRow(row, pieceEnd);
            var pieceSum = n * 0.5 * (f0 + f1);
            if (total + pieceSum < budget && pieceEnd < end)
            {
                total += pieceSum;
                done += n;
                c = pieceEnd + 1;
                continue;
            }
            // Inside the piece the step cost is linear: f0 + k·slope for the k-th step.
            var slope = n > 1 ? (f1 - f0) / (n - 1) : 0;
            double Sum(int m) => m * f0 + slope * m * (m - 1) * 0.5;
            int low = 1, high = n;
            while (low < high)
            {
                var mid = (low + high) >> 1;
                if (total + Sum(mid) >= budget)
                {
                    high = mid;
                }
                else
                {
                    low = mid + 1;
                }
            }
            elapsed = total + Sum(low);
            return done + low;
        }
        elapsed = total;
        return count;
    }

    /// <summary>The cell (index of its lower corner) and the position in it; below the axis clamps to 0, beyond extends the last cell.</summary>
    private static (int Index, double T) Locate(double[] axis, double x)
    {
        if (axis.Length == 1)
        {
            return (0, 0);
        }
        if (x <= axis[0])
        {
            return (0, 0);
        }
        var i = 0;
        while (i < axis.Length - 2 && axis[i + 1] < x)
        {
            i++;
        }
        return (i, (x - axis[i]) / (axis[i + 1] - axis[i]));
    }

    private static double Lerp(double a, double b, double t) => a + (b - a) * t;

    /// <summary>A single measured size scales proportionally beyond itself and stays flat below.</summary>
    private static double Scale(double measured, double x) => x > measured ? x / measured : 1;
}
