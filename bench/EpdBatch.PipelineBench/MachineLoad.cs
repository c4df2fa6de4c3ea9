using System.Globalization;

namespace EpdBatch.PipelineBench;

/// <summary>
/// The machine around a measured window: /proc/loadavg at its start and end, and the share of all cores busy during
/// it (/proc/stat, every process on the machine, ours and others').
/// </summary>
internal sealed record MachineLoad(string LoadAvgStart, string LoadAvgEnd, double CpuBusyPercent)
{
    /// <summary>How long the window was.</summary>
    public double WallSeconds { get; init; }

    public static Probe Start() => new(ReadLoadAvg(), ReadCpu());

    private static string ReadLoadAvg() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static (long Busy, long Total) ReadCpu()
    {
        if (!File.Exists("/proc/stat"))
        {
            return (0, 0);
        }
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        var idle = fields[3] + (fields.Length > 4 ? fields[4] : 0);   // idle + iowait
        var total = fields.Take(8).Sum();                                 // user nice system idle iowait irq softirq steal
        return (total - idle, total);
    }

    internal sealed class Probe(string loadAvg, (long Busy, long Total) cpu)
    {
        private readonly long _started = System.Diagnostics.Stopwatch.GetTimestamp();

        public MachineLoad Stop()
        {
            var end = ReadCpu();
            var total = end.Total - cpu.Total;
            return new MachineLoad(loadAvg, ReadLoadAvg(), total > 0 ? Math.Round(100.0 * (end.Busy - cpu.Busy) / total, 1) : 0)
            {
                WallSeconds = System.Diagnostics.Stopwatch.GetElapsedTime(_started).TotalSeconds,
            };
        }
    }
}
