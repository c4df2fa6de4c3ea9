using System.Diagnostics;

namespace EpdBatch.PipelineBench;

/// <summary>Runs the built CLI (epd.dll, copied beside this benchmark) as a separate process, as a user would.</summary>
internal static class EpdProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr, TimeSpan Wall);

    public static async Task<Result> RunAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "epd.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"epd {string.Join(' ', start.ArgumentList.Skip(1))} did not finish in {timeout}");
        }
        var wall = clock.Elapsed;
        return new Result(process.ExitCode, await stdout, await stderr, wall);
    }
}
