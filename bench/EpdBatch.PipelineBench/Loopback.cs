using System.Diagnostics;

namespace EpdBatch.PipelineBench;

/// <summary>
/// The servers on 127.0.0.1 that scripts/services.sh starts, and a private RabbitMQ vhost per four-process run
/// (copied from tests/EpdBatch.Cli.Tests/Loopback.cs).
/// </summary>
internal static class Loopback
{
    public const string Redis = "127.0.0.1:6379";
    public const string Blob = "UseDevelopmentStorage=true";

    public static string RabbitMq(string vhost) => $"amqp://guest:guest@127.0.0.1:5672/{vhost}";

    /// <summary>A fresh vhost, so queues of other runs never mix with this one's.</summary>
    public static async Task<string> CreateVhostAsync()
    {
        var vhost = "epd-bench-" + Guid.NewGuid().ToString("N")[..12];
        await RabbitCtlAsync("add_vhost", vhost);
        await RabbitCtlAsync("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*");
        return vhost;
    }

    public static Task DeleteVhostAsync(string vhost) => RabbitCtlAsync("delete_vhost", vhost);

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
            throw new InvalidOperationException($"rabbitmqctl {string.Join(' ', args)} failed: {await stderr} (is RabbitMQ running? scripts/services.sh starts it)");
        }
    }
}
