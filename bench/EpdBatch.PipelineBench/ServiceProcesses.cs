using System.Diagnostics;

namespace EpdBatch.PipelineBench;

/// <summary>
/// Starts pipeline stages as separate <c>epd serve</c> processes, waits until each reports ready (its health file),
/// reads their CPU time, and kills them all on dispose (after tests/EpdBatch.Cli.Tests/ServiceProcesses.cs).
/// </summary>
internal sealed class ServiceProcesses : IAsyncDisposable
{
    private readonly List<(string Name, Process Process, string Log)> _processes = [];
    private readonly string _folder;
    private readonly IReadOnlyDictionary<string, string> _environment;

    public ServiceProcesses(string folder, IReadOnlyDictionary<string, string> environment)
    {
        _folder = folder;
        _environment = environment;
        Directory.CreateDirectory(folder);
    }

    public async Task StartAsync(string stage, IReadOnlyDictionary<string, string>? settings = null)
    {
        var name = $"{stage}-{_processes.Count(p => p.Name.StartsWith(stage, StringComparison.Ordinal))}";
        var ready = Path.Combine(_folder, name + ".ready");
        var log = Path.Combine(_folder, name + ".log");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _folder,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "epd.dll"));
        start.ArgumentList.Add("serve");
        start.ArgumentList.Add(stage);
        foreach (var (key, value) in _environment)
        {
            start.Environment[key] = value;
        }
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        start.Environment["Epd__Health__File"] = ready;
        start.Environment["Epd__Health__Interval"] = "00:00:01";
        var process = Process.Start(start)!;
        var writer = new StreamWriter(log) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (writer) { writer.WriteLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (writer) { writer.WriteLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add((name, process, log));

        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (!File.Exists(ready))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{name} exited with {process.ExitCode} before it was ready:\n{await File.ReadAllTextAsync(log)}");
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{name} was not ready in 3 minutes:\n{await File.ReadAllTextAsync(log)}");
            }
            await Task.Delay(200);
        }
    }

    public IEnumerable<string> Logs => _processes.Select(p => p.Log);

    /// <summary>Process ids by process name (ingest-0, encoder-0, ...).</summary>
    public IReadOnlyDictionary<string, int> ProcessIds => _processes.ToDictionary(p => p.Name, p => p.Process.Id);

    /// <summary>CPU time (user + system) each process has used so far, by process name (encoder-0, ...).</summary>
    public IReadOnlyDictionary<string, TimeSpan> CpuTimes()
    {
        var times = new Dictionary<string, TimeSpan>();
        foreach (var (name, process, _) in _processes)
        {
            process.Refresh();
            times[name] = process.HasExited ? TimeSpan.Zero : process.TotalProcessorTime;
        }
        return times;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (_, process, _) in _processes)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
            process.Dispose();
        }
    }
}
