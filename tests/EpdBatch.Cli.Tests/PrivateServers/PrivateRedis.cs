using System.Diagnostics;
using System.Globalization;

namespace EpdBatch.Cli.Tests.PrivateServers;

/// <summary>
/// A redis-server of the test's own (own port and folder, loopback only) with an append-only file, as the compose
/// file runs it: the job store survives a kill. With a user and password the default user is off and that one ACL
/// user is the only way in, for tests of credentials. The shared server on 6379 is never touched.
/// </summary>
internal sealed class PrivateRedis : IAsyncDisposable
{
    private readonly string _folder;
    private Process? _process;

    public PrivateRedis(string folder, string? user = null, string? password = null)
    {
        if ((user is null) != (password is null))
        {
            throw new ArgumentException("a private Redis takes both a user and a password, or neither");
        }
        _folder = folder;
        Directory.CreateDirectory(folder);
        Port = FreePorts.Take(1)[0];
        User = user;
        Password = password;
    }

    public int Port { get; }

    public string? User { get; }

    public string? Password { get; }

    /// <summary>The StackExchange.Redis configuration string (logging in as the ACL user where there is one).</summary>
    public string Configuration => User is null ? $"127.0.0.1:{Port}" : $"127.0.0.1:{Port},user={User},password={Password}";

    private string Log => Path.Combine(_folder, "redis.log");

    public async Task StartAsync()
    {
        var start = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, RedirectStandardError = true };
        var arguments = new List<string>
        {
            "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--protected-mode", "yes", "--dir", _folder,
            "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--daemonize", "no", "--logfile", Log,
        };
        if (User is not null)
        {
            arguments.AddRange(["--user", "default", "off", "--user", User, "on", ">" + Password, "~*", "&*", "+@all"]);
        }
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start (./test.sh installs it)");
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
