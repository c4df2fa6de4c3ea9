namespace EpdBatch.Ingest.Tests.Support;

/// <summary>The servers that ./test.sh (scripts/services.sh) starts on loopback.</summary>
internal static class TestServers
{
    public const string Redis = "127.0.0.1:6379";
    public const string RabbitMq = "amqp://guest:guest@127.0.0.1:5672/";
    public const string Blob = "UseDevelopmentStorage=true";

    public static readonly (string Name, int Port)[] All = [("Redis", 6379), ("RabbitMQ", 5672), ("Azurite (blob)", 10000)];
}
