using System.CommandLine;
using EpdBatch.Pipeline;

namespace EpdBatch.Cli.Commands;

/// <summary>--rabbitmq, --redis and --blob, falling back to EPD_RABBITMQ, EPD_REDIS and EPD_BLOB.</summary>
internal sealed class ConnectionOptions
{
    private readonly Option<string?> _rabbitMq = new("--rabbitmq") { Description = "AMQP URI of RabbitMQ, e.g. amqp://user:pass@127.0.0.1:5672/ (or EPD_RABBITMQ)" };
    private readonly Option<string?> _redis = new("--redis") { Description = "StackExchange.Redis configuration, e.g. 127.0.0.1:6379 (or EPD_REDIS)" };
    private readonly Option<string?> _blob = new("--blob") { Description = "Azure Storage connection string, e.g. UseDevelopmentStorage=true for Azurite (or EPD_BLOB)" };

    public static ConnectionOptions Create() => new();

    public void AddTo(Command command)
    {
        command.Options.Add(_rabbitMq);
        command.Options.Add(_redis);
        command.Options.Add(_blob);
    }

    public EpdConnectionOptions Read(ParseResult parse)
    {
        var environment = EpdConnectionOptions.FromEnvironment();
        var connections = new EpdConnectionOptions
        {
            RabbitMq = parse.GetValue(_rabbitMq) ?? environment.RabbitMq,
            Redis = parse.GetValue(_redis) ?? environment.Redis,
            Blob = parse.GetValue(_blob) ?? environment.Blob,
            Model = environment.Model,
        };
        SecretRedactor.RememberSecretsOf(connections);
        return connections;
    }
}
