namespace EpdBatch.Video;

/// <summary>
/// A video to sample: a file ffmpeg can open where it is (the CLI), or bytes already in memory (a blob), which the
/// sampler writes to a private temporary file because it seeks (see <see cref="FfmpegFrameSampler"/>).
/// </summary>
public sealed class VideoInput
{
    private VideoInput(string name, string? filePath, ReadOnlyMemory<byte> bytes)
    {
        Name = name;
        FilePath = filePath;
        Bytes = bytes;
    }

    /// <summary>What error messages call the video: its path or URI.</summary>
    public string Name { get; }

    internal string? FilePath { get; }

    internal ReadOnlyMemory<byte> Bytes { get; }

    public static VideoInput FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return new VideoInput(path, Path.GetFullPath(path), ReadOnlyMemory<byte>.Empty);
    }

    /// <param name="bytes">The encoded video; not copied, so it must not change while the sampler runs.</param>
    /// <param name="name">Its URI or name, for error messages.</param>
    public static VideoInput FromBytes(ReadOnlyMemory<byte> bytes, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return new VideoInput(name, null, bytes);
    }
}
