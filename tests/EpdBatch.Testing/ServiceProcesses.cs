using System.Diagnostics;

namespace EpdBatch.Testing;

/// <summary>
/// Starts pipeline stages as separate <c>epd serve</c> processes, waits until each reports ready (its health file),
/// and kills them all on dispose. Several may start at once (each start awaits only its own process). Each
/// process's output goes to <c>&lt;folder&gt;/&lt;name&gt;.log</c>.
/// </summary>
public sealed class ServiceProcesses : IAsyncDisposable
{
    private readonly List<(string Name, Process Process, string Log)> _processes = [];
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly string _folder;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly TimeSpan _readyWithin;

    /// <param name="folder">Where the logs and health files go (created).</param>
    /// <param name="environment">Settings every process gets (EPD_RABBITMQ, Epd__...).</param>
    /// <param name="readyWithin">How long a process may take to report ready (default 2 minutes).</param>
    public ServiceProcesses(string folder, IReadOnlyDictionary<string, string> environment, TimeSpan? readyWithin = null)
    {
        _folder = folder;
        _environment = environment;
        _readyWithin = readyWithin ?? TimeSpan.FromMinutes(2);
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

        var deadline = DateTime.UtcNow + _readyWithin;
        while (!File.Exists(ready))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{name} exited with {process.ExitCode} before it was ready:\n{await File.ReadAllTextAsync(log)}");
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{name} was not ready in {_readyWithin}:\n{await File.ReadAllTextAsync(log)}");
            }
            await Task.Delay(200);
        }
        return name;
    }

    /// <summary>SIGKILLs the process <paramref name="name"/>: no shutdown code runs, as when a machine dies.</summary>
    public async Task KillAsync(string name)
    {
        var process = Snapshot().Single(p => p.Name == name).Process;
        process.Kill(entireProcessTree: false);
        await process.WaitForExitAsync();
    }

    /// <summary>The log files, one per process started.</summary>
    public IEnumerable<string> Logs => Snapshot().Select(p => p.Log);

    /// <summary>The processes started, by name: to check at the end that none exited (nothing restarted them).</summary>
    public IReadOnlyList<(string Name, Process Process)> Processes => [.. Snapshot().Select(p => (p.Name, p.Process))];

    /// <summary>Process ids by process name (ingest-0, encoder-0, ...).</summary>
    public IReadOnlyDictionary<string, int> ProcessIds => Snapshot().ToDictionary(p => p.Name, p => p.Process.Id);

    /// <summary>CPU time (user + system) each process has used so far, by process name; zero for one that exited.</summary>
    public IReadOnlyDictionary<string, TimeSpan> CpuTimes()
    {
        var times = new Dictionary<string, TimeSpan>();
        foreach (var (name, process, _) in Snapshot())
        {
            process.Refresh();
            times[name] = process.HasExited ? TimeSpan.Zero : process.TotalProcessorTime;
        }
        return times;
    }

    /// <summary>The last <paramref name="lines"/> lines of every log, each under a <c>--- name.log</c> header: for assertion messages.</summary>
    public string LogTails(int lines = 15) =>
        string.Join("\n", Logs.Select(l => $"--- {Path.GetFileName(l)}\n{(File.Exists(l) ? string.Join('\n', File.ReadLines(l).TakeLast(lines)) : "")}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var (_, process, _) in Snapshot())
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
            process.Dispose();
        }
    }

    private List<(string Name, Process Process, string Log)> Snapshot()
    {
        lock (_lock)
        {
            return [.. _processes];
        }
    }
}
