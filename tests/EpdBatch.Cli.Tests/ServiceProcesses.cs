using System.Diagnostics;

namespace EpdBatch.Cli.Tests;

/// <summary>
/// Starts pipeline stages as separate <c>epd serve</c> processes, waits until each reports ready (its health file),
/// and kills them all on dispose. Several may start at once (each start awaits only its own process).
/// </summary>
internal sealed class ServiceProcesses : IAsyncDisposable
{
    private readonly List<(string Name, Process Process, string Log)> _processes = [];
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly string _folder;
    private readonly IReadOnlyDictionary<string, string> _environment;

    public ServiceProcesses(string folder, IReadOnlyDictionary<string, string> environment)
    {
        _folder = folder;
        _environment = environment;
        Directory.CreateDirectory(folder);
    }

    /// <summary>Starts one more process of <paramref name="stage"/> and waits until it is ready; returns its name (<c>ingest-0</c>, ...).</summary>
    public async Task<string> StartAsync(string stage, IReadOnlyDictionary<string, string>? settings = null)
    {
        string name;
        lock (_lock)
        {
            name = $"{stage}-{_counts.GetValueOrDefault(stage)}";
            _counts[stage] = _counts.GetValueOrDefault(stage) + 1;
        }

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
        lock (_lock)
        {
            _processes.Add((name, process, log));
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (!File.Exists(ready))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{name} exited with {process.ExitCode} before it was ready:\n{await File.ReadAllTextAsync(log)}");
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{name} was not ready in 2 minutes:\n{await File.ReadAllTextAsync(log)}");
            }
            await Task.Delay(200);
        }
        return name;
    }

    /// <summary>SIGKILLs the process <paramref name="name"/>: no shutdown code runs, as when a machine dies.</summary>
    public async Task KillAsync(string name)
    {
        var process = _processes.Single(p => p.Name == name).Process;
        process.Kill(entireProcessTree: false);
        await process.WaitForExitAsync();
    }

    public IEnumerable<string> Logs => _processes.Select(p => p.Log);

    /// <summary>The processes started, by name: to check at the end that none exited (nothing restarted them).</summary>
    public IReadOnlyList<(string Name, Process Process)> Processes => [.. _processes.Select(p => (p.Name, p.Process))];

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
