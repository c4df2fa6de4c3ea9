namespace EpdBatch.Model;

/// <summary>An item the model cannot run as given (prompt too long, placeholder count off, bad sampling values).
/// Permanent: retrying the same input fails the same way. <see cref="Code"/> is the machine-readable reason.</summary>
public sealed class ModelInputException : Exception
{
    public ModelInputException(string code, string message) : base(message)
    {
        Code = code;
    }

    public string Code { get; }
}
