using System.Globalization;

namespace EpdBatch.Video.Tests;

/// <summary>
/// Finds ffmpeg/ffprobe processes that belong to a test, from /proc: any whose command line holds the test's unique
/// marker (its private folder), and any child of this test process named ffmpeg or ffprobe.
/// </summary>
internal static class ToolProcesses
{
    public static IReadOnlyList<string> Alive(string marker)
    {
        var self = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var found = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var pid = Path.GetFileName(dir);
            if (!pid.All(char.IsAsciiDigit))
            {
                continue;
            }

            try
            {
                var commandLine = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));

                // stat: "pid (comm) state ppid ..." — comm may hold spaces, so parse after the last ')'.
                var close = stat.LastIndexOf(')');
                var comm = stat[(stat.IndexOf('(') + 1)..close];
                var fields = stat[(close + 2)..].Split(' ');
                var state = fields[0]; // a zombie counts: the sampler reaps what it starts
                var parent = fields[1];
                var isTool = comm is "ffmpeg" or "ffprobe";
                if (isTool && (commandLine.Contains(marker, StringComparison.Ordinal) || parent == self))
                {
                    found.Add($"{pid} {comm} (state {state}): {commandLine}");
                }
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours.
            }
        }

        return found;
    }
}
