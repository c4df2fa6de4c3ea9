using System.Diagnostics;
using System.Runtime.Versioning;

namespace EpdBatch.Cli.Tests.PrivateServers;

/// <summary>
/// A RabbitMQ node of the test's own (node <c>epdchaos…@localhost</c>, own AMQP and distribution ports, its
/// database and logs in the test's folder, loopback only, no plugins) that the test can restart; the shared node
/// <c>rabbit@localhost</c> is never touched. Started through Debian's wrapper like scripts/services.sh: as root it
/// switches to the rabbitmq user, so the folders are made writable for it.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal sealed class PrivateRabbitMq : IAsyncDisposable
{
    private readonly string _folder;
    private readonly int _distPort;
    private Process? _process;

    public PrivateRabbitMq(string folder)
    {
        _folder = folder;
        var ports = FreePorts.Take(2);
        Port = ports[0];
        _distPort = ports[1];
        Node = $"epdchaos{Port}@localhost";
        foreach (var dir in new[] { folder, Path.Combine(folder, "mnesia"), Path.Combine(folder, "log") })
        {
            Directory.CreateDirectory(dir);
            File.SetUnixFileMode(dir, (UnixFileMode)0b111_111_111);
        }
        File.WriteAllText(Path.Combine(folder, "enabled_plugins"), "[].");
        File.SetUnixFileMode(Path.Combine(folder, "enabled_plugins"), (UnixFileMode)0b110_100_100);
    }

    public int Port { get; }

    public string Node { get; }

    public string Uri => $"amqp://guest:guest@127.0.0.1:{Port}/";

    private string Output => Path.Combine(_folder, "server.out");

    public async Task StartAsync()
    {
        var start = new ProcessStartInfo("rabbitmq-server") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _folder };
        Configure(start);
        _process = Process.Start(start)!;
        var output = new StreamWriter(Output, append: true) { AutoFlush = true };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.WriteLine(e.Data); } } };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.WriteLine(e.Data); } } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await FreePorts.WaitOpenAsync(Port, TimeSpan.FromMinutes(2), Describe);
    }

    /// <summary>A clean stop (rabbitmqctl shutdown), as for an upgrade; what was confirmed stays on disk.</summary>
    public async Task StopAsync()
    {
        await CtlAsync(TimeSpan.FromMinutes(1), "shutdown");
        if (_process is { } process)
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            process.Dispose();
            _process = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is null)
        {
            return;
        }
        try
        {
            await CtlAsync(TimeSpan.FromSeconds(30), "shutdown");
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            // Killed below.
        }
        KillRemains();
    }

    private void KillRemains()
    {
        if (_process is { } process)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
            process.Dispose();
            _process = null;
        }
        // The Erlang VM runs under su as another user; its pid file says which process it is.
        var pidFile = Path.Combine(_folder, "mnesia", Node + ".pid");
        if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid))
        {
            try
            {
                using var beam = Process.GetProcessById(pid);
                if (beam.ProcessName.StartsWith("beam", StringComparison.Ordinal))
                {
                    beam.Kill();
                    beam.WaitForExit(10_000);
                }
            }
            catch (ArgumentException)
            {
                // Gone already.
            }
        }
    }

    private void Configure(ProcessStartInfo start)
    {
        start.Environment["RABBITMQ_NODENAME"] = Node;
        start.Environment["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1";
        start.Environment["RABBITMQ_NODE_PORT"] = Port.ToString();
        start.Environment["RABBITMQ_DIST_PORT"] = _distPort.ToString();
        start.Environment["ERL_EPMD_ADDRESS"] = "127.0.0.1";
        start.Environment["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}";
        start.Environment["RABBITMQ_MNESIA_BASE"] = Path.Combine(_folder, "mnesia");
        start.Environment["RABBITMQ_LOG_BASE"] = Path.Combine(_folder, "log");
        start.Environment["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(_folder, "enabled_plugins");
    }

    private async Task CtlAsync(TimeSpan timeout, params string[] args)
    {
        var start = new ProcessStartInfo("rabbitmqctl") { RedirectStandardOutput = true, RedirectStandardError = true };
        Configure(start);
        start.ArgumentList.Add("-n");
        start.ArgumentList.Add(Node);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"rabbitmqctl {string.Join(' ', args)} on {Node} failed: {await stdout}{await stderr}");
        }
    }

    private string Describe()
    {
        var log = Path.Combine(_folder, "log", Node + ".log");
        return (File.Exists(Output) ? File.ReadAllText(Output) : "") + (File.Exists(log) ? string.Join('\n', File.ReadLines(log).TakeLast(30)) : "");
    }
}
