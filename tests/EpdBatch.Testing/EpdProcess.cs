using System.Diagnostics;

namespace EpdBatch.Testing;

/// <summary>Runs the built CLI (epd.dll, which a project reference to EpdBatch.Cli copies beside the caller) as a separate process, as a user would.</summary>
public static class EpdProcess
{
    /// <summary>How the process ended, what it wrote, and how long it ran.</summary>
    public sealed record Result(int ExitCode, string Stdout, string Stderr, TimeSpan Wall);

    public static async Task<Result> RunAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromMinutes(5);
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "epd.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"epd {string.Join(' ', start.ArgumentList.Skip(1))} did not finish in {limit}");
        }
        var wall = clock.Elapsed;
        return new Result(process.ExitCode, await stdout, await stderr, wall);
    }
}
