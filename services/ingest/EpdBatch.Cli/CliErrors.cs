using EpdBatch.Imaging;
using EpdBatch.Model;
using EpdBatch.Pipeline;

namespace EpdBatch.Cli;

/// <summary>Turns an exception into one clear line on stderr and an exit code; the detail only with --verbose.</summary>
public static class CliErrors
{
    public static int Report(Exception error, bool verbose, TextWriter? stderr = null)
    {
        stderr ??= Console.Error;
        var (code, hint) = Classify(error);
        // Redacted here too, for a caller that passes its own writer rather than the redacting console.
        stderr.WriteLine(SecretRedactor.Redact($"epd: error: {error.Message}{(hint is null ? "" : " — " + hint)}"));
        if (verbose)
        {
            stderr.WriteLine(SecretRedactor.Redact(error.ToString()));
        }
        return code;
    }

    private static (int Code, string? Hint) Classify(Exception error) => error switch
    {
        OperationCanceledException => (ExitCodes.Cancelled, null),
        ModelFormatException => (ExitCodes.InvalidInput, "check that --model points at a llava-hf model folder"),
        ModelInputException or MediaException or ArgumentException or FormatException => (ExitCodes.InvalidInput, null),
        FileNotFoundException or DirectoryNotFoundException => (ExitCodes.InvalidInput, null),
        InvalidDataException => (ExitCodes.InvalidInput, null),
        _ when IsInfrastructure(error) => (ExitCodes.InfrastructureUnreachable, "is the server running and the connection setting right?"),
        _ => (ExitCodes.Unexpected, "run again with --verbose for the details"),
    };

    private static bool IsInfrastructure(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            var name = e.GetType().FullName ?? "";
            if (e is System.Net.Sockets.SocketException or System.Net.Http.HttpRequestException
                || name.StartsWith("StackExchange.Redis.RedisConnectionException", StringComparison.Ordinal)
                || name.StartsWith("RabbitMQ.Client.Exceptions", StringComparison.Ordinal)
                || name.StartsWith("MassTransit.RabbitMqTransport", StringComparison.Ordinal)
                || name.StartsWith("Azure.RequestFailedException", StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }
}
