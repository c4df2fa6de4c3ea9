using Microsoft.Extensions.Options;

namespace EpdBatch.Video.Internal;

/// <summary>Every problem of <see cref="VideoOptions"/>, one message each, naming the setting.</summary>
internal sealed class VideoOptionsValidator : IValidateOptions<VideoOptions>
{
    public ValidateOptionsResult Validate(string? name, VideoOptions options)
    {
        var failures = options.GetValidationFailures(VideoOptions.SectionName);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
