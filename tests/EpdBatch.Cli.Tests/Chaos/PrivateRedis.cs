using System.Diagnostics;

namespace EpdBatch.Cli.Tests.Chaos;

/// <summary>
/// A redis-server of the test's own (own port and folder, loopback only) with an append-only file, as the compose
/// file runs it: the job store survives a kill. The shared server on 6379 is never touched.
/// </summary>
internal sealed class PrivateRedis : IAsyncDisposable
{
    private readonly string _folder;
    private Process? _process;

    public PrivateRedis(string folder)
    {
        _folder = folder;
        Directory.CreateDirectory(folder);
        Port = FreePorts.Take(1)[0];
    }

    public int Port { get; }

    public string Configuration => $"127.0.0.1:{Port}";

    private string Log => Path.Combine(_folder, "redis.log");

    public async Task StartAsync()
    {
        var start = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[]
        {
            "--port", Port.ToString(), "--bind", "127.0.0.1", "--protected-mode", "yes", "--dir", _folder,
            "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--daemonize", "no", "--logfile", Log,
        })
        {
            start.ArgumentList.Add(arg);
        }
        _process = Process.Start(start)!;
        await FreePorts.WaitOpenAsync(Port, TimeSpan.FromSeconds(30), () => File.Exists(Log) ? File.ReadAllText(Log) : "no log");
    }

    /// <summary>SIGKILL, as a crash: what was acknowledged is in the append-only file already (written before the reply).</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
        _process?.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync() => await KillAsync();
}
