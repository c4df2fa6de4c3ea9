namespace EpdBatch.Planning.Profiles;

/// <summary>
/// A 1-D cost through measured points, made non-decreasing (a larger batch never costs less: a lower measurement
/// is noise), flat below the first point and extended linearly beyond the last.
/// </summary>
internal sealed class PiecewiseLinearCurve
{
    private readonly double[] _x;
    private readonly double[] _y;
    private readonly double _tailSlope;

    public PiecewiseLinearCurve(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        _x = [.. x];
        _y = MonotoneEnvelope(y);
        _tailSlope = TailSlope(_x, _y);
    }

    public IReadOnlyList<double> Breakpoints => _x;

    public double Evaluate(double x)
    {
        var last = _x.Length - 1;
        if (x <= _x[0])
        {
            return _y[0];
        }
        if (x >= _x[last])
        {
            return _y[last] + (x - _x[last]) * _tailSlope;
        }
        var i = 1;
        while (_x[i] < x)
        {
            i++;
        }
        var t = (x - _x[i - 1]) / (_x[i] - _x[i - 1]);
        return _y[i - 1] + t * (_y[i] - _y[i - 1]);
    }

    /// <summary>Running maximum: measurement noise must not make a larger batch look cheaper.</summary>
    internal static double[] MonotoneEnvelope(IReadOnlyList<double> values)
    {
        var result = new double[values.Count];
        var max = 0.0;
        for (var i = 0; i < values.Count; i++)
        {
            max = Math.Max(max, values[i]);
            result[i] = max;
        }
        return result;
    }

    /// <summary>The last segment's slope; where noise flattened it, the slope from the first point to the last.</summary>
    internal static double TailSlope(double[] x, double[] y)
    {
        var last = x.Length - 1;
        if (last == 0)
        {
            // One point: proportional to size (a batch of 2 costs twice a batch of 1).
            return x[0] > 0 ? y[0] / x[0] : 0;
        }
        var slope = (y[last] - y[last - 1]) / (x[last] - x[last - 1]);
        return slope > 0 ? slope : (y[last] - y[0]) / (x[last] - x[0]);
    }
}
