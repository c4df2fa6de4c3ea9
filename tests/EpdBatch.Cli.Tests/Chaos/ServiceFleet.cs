using System.Collections.Concurrent;
using System.Diagnostics;

namespace EpdBatch.Cli.Tests.Chaos;

/// <summary>
/// Named <c>epd serve</c> processes (<c>encoder-0</c>, <c>encoder-1</c>, ...) that the chaos test can SIGKILL and
/// start again under the same name; each name keeps one log across its lives. Everything still running is killed
/// on dispose.
/// </summary>
internal sealed class ServiceFleet : IAsyncDisposable
{
    private readonly string _folder;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly ConcurrentDictionary<string, Service> _services = new(StringComparer.Ordinal);

    public ServiceFleet(string folder, IReadOnlyDictionary<string, string> environment)
    {
        _folder = folder;
        _environment = environment;
        Directory.CreateDirectory(folder);
    }

    public IEnumerable<string> Logs => _services.Values.Select(s => s.Log);

    /// <summary>Starts <paramref name="name"/> (its stage is the part before the dash) and waits until it reports ready.</summary>
    public Task StartAsync(string name, IReadOnlyDictionary<string, string>? settings = null)
    {
        var service = new Service(name, name[..name.IndexOf('-')], settings ?? new Dictionary<string, string>(), Path.Combine(_folder, name + ".log"));
        if (!_services.TryAdd(name, service))
        {
            throw new InvalidOperationException($"{name} was started already");
        }
        return LaunchAsync(service);
    }

    /// <summary>SIGKILL, then a fresh process under the same name and settings; completes when the new one is ready.</summary>
    public async Task KillAndRestartAsync(string name)
    {
        await KillAsync(name);
        await StartAgainAsync(name);
    }

    public async Task KillAsync(string name)
    {
        var service = _services[name];
        var process = service.Process!;
        process.Kill();
        await process.WaitForExitAsync();
        process.Dispose();
        service.Process = null;
        service.Append($"==== {DateTime.UtcNow:HH:mm:ss.fff} killed (SIGKILL)");
    }

    /// <summary>A fresh process for a service that was killed; completes when it is ready.</summary>
    public Task StartAgainAsync(string name)
    {
        var service = _services[name];
        service.Append($"==== {DateTime.UtcNow:HH:mm:ss.fff} starting again");
        return LaunchAsync(service);
    }

    private async Task LaunchAsync(Service service)
    {
        var ready = Path.Combine(_folder, service.Name + ".ready");
        File.Delete(ready);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _folder };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "epd.dll"));
        start.ArgumentList.Add("serve");
        start.ArgumentList.Add(service.Stage);
        foreach (var (key, value) in _environment.Concat(service.Settings))
        {
            start.Environment[key] = value;
        }
        start.Environment["Epd__Health__File"] = ready;
        start.Environment["Epd__Health__Interval"] = "00:00:01";
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { service.Append(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { service.Append(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        service.Process = process;

        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (!File.Exists(ready))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{service.Name} exited with {process.ExitCode} before it was ready:\n{service.Tail(40)}");
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{service.Name} was not ready in 2 minutes:\n{service.Tail(40)}");
            }
            await Task.Delay(200);
        }
    }

    public string Tails(int lines) => string.Join("\n", _services.Values.OrderBy(s => s.Name).Select(s => $"--- {s.Name}\n{s.Tail(lines)}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var service in _services.Values)
        {
            if (service.Process is { } process)
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync();
                }
                process.Dispose();
                service.Process = null;
            }
            service.Close();
        }
    }

    private sealed class Service(string name, string stage, IReadOnlyDictionary<string, string> settings, string log)
    {
        private readonly StreamWriter _writer = new(log, append: true) { AutoFlush = true };
        private bool _closed;

        public string Name => name;

        public string Stage => stage;

        public IReadOnlyDictionary<string, string> Settings => settings;

        public string Log => log;

        public Process? Process { get; set; }

        public void Append(string line)
        {
            lock (_writer)
            {
                if (!_closed)
                {
                    _writer.WriteLine(line);
                }
            }
        }

        public string Tail(int lines)
        {
            lock (_writer)
            {
                return string.Join('\n', File.ReadLines(log).TakeLast(lines));
            }
        }

        public void Close()
        {
            lock (_writer)
            {
                _closed = true;
                _writer.Dispose();
            }
        }
    }
}
