namespace EpdBatch.Ingest.Tests.Support;

/// <summary>The servers that ./test.sh (scripts/services.sh) starts on loopback, and this run's own RabbitMQ vhost.</summary>
internal static class TestServers
{
    public const string Redis = Loopback.Redis;
    public const string Blob = Loopback.Blob;

    public static readonly (string Name, int Port)[] All = [("Redis", 6379), ("RabbitMQ", 5672), ("Azurite (blob)", 10000)];

    /// <summary>
    /// The broker in the vhost that <see cref="Integration.ServersSetUp"/> made for this run and deletes at its end:
    /// whatever a test leaves behind (a durable queue bound to every <c>ItemCompleted</c>, say, when it crashed
    /// before its clean-up) goes with it, and nothing of this run reaches the default vhost.
    /// </summary>
    public static string RabbitMq => Loopback.RabbitMq(Vhost ?? throw new InvalidOperationException("No vhost yet: only the tests under Integration (ServersSetUp) have one."));

    /// <summary>This run's vhost, while the integration tests run.</summary>
    public static string? Vhost { get; set; }
}
