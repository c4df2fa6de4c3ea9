using Microsoft.Extensions.Options;

namespace EpdBatch.Ingest;

/// <summary>Runs <see cref="IngestOptions.GetValidationFailures"/> at start, keeping every message.</summary>
internal sealed class IngestOptionsValidator : IValidateOptions<IngestOptions>
{
    public ValidateOptionsResult Validate(string? name, IngestOptions options)
    {
        var failures = options.GetValidationFailures();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
