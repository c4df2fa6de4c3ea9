using System.Globalization;

namespace EpdBatch.PipelineBench;

/// <summary>
/// CPU seconds (user + system) of processes by id from /proc/PID/stat, and the pids of the loopback servers the
/// pipeline uses (RabbitMQ's beam.smp, redis-server, Azurite's node), so that a run's CPU can be attributed.
/// </summary>
internal static class ProcessCpu
{
    private const double TicksPerSecond = 100;   // USER_HZ on Linux

    /// <summary>CPU seconds used so far by <paramref name="pid"/> (utime + stime), or 0 where it is gone.</summary>
    public static double Seconds(int pid)
    {
        try
        {
            return StatSeconds($"/proc/{pid}/stat", 11);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>
    /// CPU seconds of this process's children that have exited and been waited for (cutime + cstime of
    /// /proc/self/stat): the difference around an <c>epd run</c> is the client's CPU.
    /// </summary>
    public static double ExitedChildrenSeconds() => StatSeconds("/proc/self/stat", 13);

    /// <summary>The sum of two adjacent tick counts of a /proc stat file, in seconds, <paramref name="first"/> counted from the state (field 3).</summary>
    private static double StatSeconds(string path, int first)
    {
        var stat = File.ReadAllText(path);
        // The name (field 2) may hold spaces: the fields after its closing parenthesis start at the state (field 3).
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[first], CultureInfo.InvariantCulture) + long.Parse(fields[first + 1], CultureInfo.InvariantCulture)) / TicksPerSecond;
    }

    /// <summary>The loopback servers' processes: RabbitMQ, Redis and Azurite, by pid.</summary>
    public static IReadOnlyList<int> Servers()
    {
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }
            try
            {
                var comm = File.ReadAllText(Path.Combine(dir, "comm")).Trim();
                if (comm is "beam.smp" or "redis-server"
                    || (comm == "node" && File.ReadAllText(Path.Combine(dir, "cmdline")).Contains("azurite", StringComparison.Ordinal)))
                {
                    pids.Add(pid);
                }
            }
            catch (IOException)
            {
                // Gone while we looked.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return pids;
    }

    /// <summary>CPU seconds of all of <paramref name="pids"/> so far.</summary>
    public static double Seconds(IEnumerable<int> pids) => pids.Sum(Seconds);
}
