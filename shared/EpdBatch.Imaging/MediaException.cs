using System.Diagnostics.CodeAnalysis;

namespace EpdBatch.Imaging;

/// <summary>
/// Input media that cannot be used. <see cref="Code"/> is a stable machine-readable reason
/// (<see cref="ImageTooLarge"/>, <see cref="UnsupportedMediaType"/>, <see cref="CorruptImage"/>,
/// <see cref="EmptyFile"/>) for callers that report per-item failures.
/// </summary>
[SuppressMessage("Design", "CA1032:Implement standard exception constructors", Justification = "Every MediaException must carry a Code; the code-less constructors would make one without it.")]
public sealed class MediaException : Exception
{
    public const string ImageTooLarge = "image_too_large";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string CorruptImage = "corrupt_image";
    public const string EmptyFile = "empty_file";

    public MediaException(string code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        Code = code;
    }

    public string Code { get; }
}
