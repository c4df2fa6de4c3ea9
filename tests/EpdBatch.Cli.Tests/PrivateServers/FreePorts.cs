using System.Net;
using System.Net.Sockets;

namespace EpdBatch.Cli.Tests.PrivateServers;

/// <summary>Loopback ports that nothing listens on right now, for the tests' private servers.</summary>
internal static class FreePorts
{
    public static int[] Take(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }

    public static async Task WaitOpenAsync(int port, TimeSpan timeout, Func<string> describe)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
            catch (SocketException e)
            {
                throw new TimeoutException($"nothing listened on 127.0.0.1:{port} within {timeout.TotalSeconds:0}s: {describe()}", e);
            }
        }
    }
}
