namespace EpdBatch.Ingest.Client;

/// <summary>No ingest service answered a command in time: none is running, or none reads the command queue.</summary>
public sealed class IngestUnavailableException : TimeoutException
{
    public IngestUnavailableException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
