using System.Net.Http;
using System.Net.Sockets;
using Azure;
using Polly.Timeout;
using RabbitMQ.Client.Exceptions;
using StackExchange.Redis;

namespace EpdBatch.Pipeline;

/// <summary>
/// Decides which failures are worth another try: a server that is briefly away or slow (Redis, the broker, blob
/// storage). Everything else, <see cref="PermanentItemException"/> above all, fails the message at once.
/// </summary>
public static class TransientFailures
{
    public static bool IsTransient(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PermanentItemException:
                    return false;
                case AggregateException aggregate:
                    return aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(IsTransient);
                case RedisConnectionException or RedisTimeoutException:
                case TimeoutRejectedException:
                case MassTransit.ConnectionException or MassTransit.TransportUnavailableException:
                case BrokerUnreachableException or AlreadyClosedException:
                case HttpRequestException or SocketException:
                    return true;

                // A missing or truncated file is not a network hiccup: trying again reads the same bytes.
                case FileNotFoundException or DirectoryNotFoundException or PathTooLongException or EndOfStreamException:
                    return false;
                case IOException:
                    return true;
                case RequestFailedException failed when IsTransientStatus(failed.Status):
                    return true;
                case RequestFailedException:
                    return false;
            }
        }

        return false;
    }

    /// <summary>HTTP statuses that blob storage documents as worth retrying; 0 is a request that never got an answer.</summary>
    public static bool IsTransientStatus(int status) => status is 0 or 408 or 429 or 500 or 502 or 503 or 504;
}
