using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;

namespace EpdBatch.Pipeline;

/// <summary>
/// Where the distributed parts are. Each setting has one name everywhere: an environment variable
/// (<c>EPD_RABBITMQ</c>, <c>EPD_REDIS</c>, <c>EPD_BLOB</c>, <c>EPD_MODEL</c>), or the same key under the
/// <c>Epd:Connections</c> section of appsettings or the command line (<c>--Epd:Connections:RabbitMq=...</c>). A
/// setting left out selects the embedded part: the in-memory bus, the in-process tensor store, a local folder.
/// </summary>
public sealed class EpdConnectionOptions
{
    public const string SectionName = "Epd:Connections";

    public const string RabbitMqVariable = "EPD_RABBITMQ";
    public const string RedisVariable = "EPD_REDIS";
    public const string BlobVariable = "EPD_BLOB";
    public const string ModelVariable = "EPD_MODEL";

    /// <summary>AMQP URI of the broker, e.g. <c>amqp://user:password@rabbitmq:5672/</c>.</summary>
    public string? RabbitMq { get; set; }

    /// <summary>StackExchange.Redis configuration string, e.g. <c>redis:6379,password=...</c>.</summary>
    public string? Redis { get; set; }

    /// <summary>Azure Storage connection string; <c>UseDevelopmentStorage=true</c> for Azurite.</summary>
    public string? Blob { get; set; }

    /// <summary>The model folder.</summary>
    public string? Model { get; set; }

    /// <summary>
    /// Reads the four settings from configuration. Where a setting is given under both names, the one from the
    /// later configuration source wins (command line over environment over appsettings), as for any other key.
    /// </summary>
    public static EpdConnectionOptions FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return new EpdConnectionOptions
        {
            RabbitMq = Read(configuration, nameof(RabbitMq), RabbitMqVariable),
            Redis = Read(configuration, nameof(Redis), RedisVariable),
            Blob = Read(configuration, nameof(Blob), BlobVariable),
            Model = Read(configuration, nameof(Model), ModelVariable),
        };
    }

    /// <summary>Reads the settings from the environment variables alone.</summary>
    public static EpdConnectionOptions FromEnvironment() =>
        FromConfiguration(new ConfigurationBuilder().AddEnvironmentVariables().Build());

    /// <summary>The name of a setting as people see it in errors: <c>EPD_REDIS (Epd:Connections:Redis)</c>.</summary>
    public static string DisplayName(string property) => property switch
    {
        nameof(RabbitMq) => $"{RabbitMqVariable} ({SectionName}:{nameof(RabbitMq)})",
        nameof(Redis) => $"{RedisVariable} ({SectionName}:{nameof(Redis)})",
        nameof(Blob) => $"{BlobVariable} ({SectionName}:{nameof(Blob)})",
        nameof(Model) => $"{ModelVariable} ({SectionName}:{nameof(Model)})",
        _ => throw new ArgumentOutOfRangeException(nameof(property), property, "not a connection setting"),
    };

    /// <summary>Every problem with the settings, one line each, naming the setting; values are redacted.</summary>
    public IReadOnlyList<string> GetValidationFailures()
    {
        var failures = new List<string>();
        if (RabbitMq is not null
            && !(Uri.TryCreate(RabbitMq, UriKind.Absolute, out var amqp)
                 && amqp.Scheme is "amqp" or "amqps" or "rabbitmq" or "rabbitmqs"
                 && amqp.Host.Length > 0))
        {
            failures.Add($"{DisplayName(nameof(RabbitMq))} must be an AMQP URI such as amqp://user:password@host:5672/, not '{SecretRedactor.Redact(RabbitMq)}'.");
        }

        if (Redis is not null)
        {
            try
            {
                if (StackExchange.Redis.ConfigurationOptions.Parse(Redis).EndPoints.Count == 0)
                {
                    failures.Add($"{DisplayName(nameof(Redis))} names no Redis endpoint (host:port): '{SecretRedactor.Redact(Redis)}'.");
                }
            }
            catch (ArgumentException e)
            {
                failures.Add($"{DisplayName(nameof(Redis))} is not a StackExchange.Redis configuration string: {SecretRedactor.Redact(e.Message)}");
            }
        }

        if (Blob is not null)
        {
            try
            {
                // Parses the connection string only; no request is made.
                _ = new BlobServiceClient(Blob);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
            {
                failures.Add($"{DisplayName(nameof(Blob))} is not an Azure Storage connection string ('{SecretRedactor.Redact(Blob)}'): {SecretRedactor.Redact(e.Message)}");
            }
        }

        return failures;
    }

    /// <summary>Throws one exception that lists every problem, so a misconfigured worker fails at start.</summary>
    public void Validate()
    {
        var failures = GetValidationFailures();
        if (failures.Count > 0)
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(SectionName, typeof(EpdConnectionOptions), failures);
        }
    }

    /// <summary>A summary safe for logs: which parts are distributed, with secrets redacted.</summary>
    public override string ToString() =>
        $"RabbitMq={Show(RabbitMq, "in-memory bus")}; Redis={Show(Redis, "in-process store")}; Blob={Show(Blob, "local folder")}; Model={Model ?? "(not set)"}";

    private static string Show(string? value, string embedded) => value is null ? $"({embedded})" : SecretRedactor.Redact(value);

    private static string? Read(IConfiguration configuration, string property, string variable)
    {
        var sectionKey = $"{SectionName}:{property}";
        if (configuration is IConfigurationRoot root)
        {
            // Later providers override earlier ones; honour that across the two names of one setting.
            foreach (var provider in root.Providers.Reverse())
            {
                if (provider.TryGet(sectionKey, out var value) || provider.TryGet(variable, out value))
                {
                    return Normalize(value);
                }
            }

            return null;
        }

        return Normalize(configuration[sectionKey]) ?? Normalize(configuration[variable]);
    }

    private static string? Normalize(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
