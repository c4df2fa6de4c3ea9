using System.Diagnostics;

namespace EpdBatch.Testing;

/// <summary>
/// The servers on 127.0.0.1 that scripts/services.sh (run by ./test.sh) starts, and private RabbitMQ vhosts and
/// users made with <c>rabbitmqctl</c>, so that one run's queues never mix with another's.
/// </summary>
public static class Loopback
{
    public const string Redis = "127.0.0.1:6379";
    public const string Blob = "UseDevelopmentStorage=true";

    /// <summary>The broker's address for <paramref name="vhost"/>, as the guest user.</summary>
    public static string RabbitMq(string vhost) => $"amqp://guest:guest@127.0.0.1:5672/{vhost}";

    /// <summary>A fresh vhost named <paramref name="prefix"/>-&lt;random&gt;, open to the guest user.</summary>
    public static async Task<string> CreateVhostAsync(string prefix = "epd-test")
    {
        var vhost = prefix + "-" + Guid.NewGuid().ToString("N")[..12];
        await RabbitCtlAsync("add_vhost", vhost);
        await RabbitCtlAsync("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*");
        return vhost;
    }

    /// <summary>Deletes the vhost and everything in it (queues, exchanges, messages).</summary>
    public static Task DeleteVhostAsync(string vhost) => RabbitCtlAsync("delete_vhost", vhost);

    /// <summary>A broker user of the caller's own with a password, allowed on <paramref name="vhost"/> alone.</summary>
    public static async Task CreateUserAsync(string vhost, string user, string password)
    {
        await RabbitCtlAsync("add_user", user, password);
        await RabbitCtlAsync("set_permissions", "-p", vhost, user, ".*", ".*", ".*");
    }

    public static Task DeleteUserAsync(string user) => RabbitCtlAsync("delete_user", user);

    private static async Task RabbitCtlAsync(params string[] args)
    {
        var start = new ProcessStartInfo("rabbitmqctl") { RedirectStandardOutput = true, RedirectStandardError = true };
        // scripts/services.sh names the node rabbit@localhost, so that it never depends on the machine's host name.
        start.ArgumentList.Add("-n");
        start.ArgumentList.Add("rabbit@localhost");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"rabbitmqctl {string.Join(' ', args)} failed: {await stderr} (is RabbitMQ running? ./test.sh starts it)");
        }
    }
}
