namespace EpdBatch.Video.Internal;

/// <summary>Resolves a program the way the OS would run it: a path as given, a bare name through PATH.</summary>
internal static class ExecutableLocator
{
    public static string? Find(string? program)
    {
        if (string.IsNullOrWhiteSpace(program))
        {
            return null;
        }

        if (program.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            return IsExecutable(program) ? Path.GetFullPath(program) : null;
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (IsExecutable(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static bool IsExecutable(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        if (OperatingSystem.IsWindows())
        {
            return true;
        }

        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        return (File.GetUnixFileMode(path) & anyExecute) != 0;
    }
}
