using Microsoft.Extensions.Options;

namespace EpdBatch.Pipeline.Options;

/// <summary>Adapts an options class's own <c>GetValidationFailures</c> to the options validation pipeline, keeping every message.</summary>
internal sealed class FailureListValidator<TOptions>(Func<TOptions, IReadOnlyList<string>> getFailures) : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var failures = getFailures(options);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
