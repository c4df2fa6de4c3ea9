using System.Diagnostics;
using TorchSharp;

namespace EpdBatch.Bench;

/// <summary>Wall-clock timing that waits for the device: on CUDA every reading follows a synchronize.</summary>
internal sealed class DeviceClock(string device)
{
    private readonly bool _cuda = device.StartsWith("cuda", StringComparison.Ordinal);
    private readonly torch.Device? _device = device.StartsWith("cuda", StringComparison.Ordinal) ? new torch.Device(device) : null;

    public void Synchronize()
    {
        if (_cuda)
        {
            torch.cuda.synchronize(_device!);
        }
    }

    /// <summary>Seconds one call of <paramref name="action"/> takes, device work included.</summary>
    public double Time(Action action)
    {
        Synchronize();
        var clock = Stopwatch.StartNew();
        action();
        Synchronize();
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>One untimed warm-up call, then <paramref name="repeats"/> timed calls.</summary>
    public double[] Repeat(int repeats, Action action)
    {
        action();
        var samples = new double[repeats];
        for (var i = 0; i < repeats; i++)
        {
            samples[i] = Time(action);
        }
        return samples;
    }

    public static double Median(IReadOnlyList<double> samples)
    {
        var sorted = samples.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
