namespace EpdBatch.Model;

/// <summary>A checkpoint or config that the runtime cannot use; the message names the file, field or tensor at fault.</summary>
public sealed class ModelFormatException : Exception
{
    public ModelFormatException(string message) : base(message)
    {
    }

    public ModelFormatException(string message, Exception inner) : base(message, inner)
    {
    }
}
