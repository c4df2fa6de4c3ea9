using System.Net.Sockets;
using EpdBatch.Ingest.Tests.Support;

namespace EpdBatch.Ingest.Tests.Integration;

/// <summary>
/// The integration tests need Redis, RabbitMQ and Azurite on loopback: checked once, before any test in this
/// namespace. They use a RabbitMQ vhost of this run's own, deleted after the last of them.
/// </summary>
[SetUpFixture]
public class ServersSetUp
{
    [OneTimeSetUp]
    public async Task Servers_answer_on_loopback()
    {
        var missing = new List<string>();
        foreach (var (name, port) in TestServers.All)
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            try
            {
                await client.ConnectAsync("127.0.0.1", port, timeout.Token);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                missing.Add($"{name} on 127.0.0.1:{port}");
            }
        }

        if (missing.Count > 0)
        {
            Assert.Fail($"Not answering: {string.Join(", ", missing)}. Run ./test.sh (it installs and starts them), or scripts/services.sh to start them alone.");
        }

        TestServers.Vhost = await Loopback.CreateVhostAsync("epd-ingest-test");
    }

    [OneTimeTearDown]
    public async Task Delete_the_vhost()
    {
        if (TestServers.Vhost is { } vhost)
        {
            TestServers.Vhost = null;
            await Loopback.DeleteVhostAsync(vhost);
        }
    }
}
