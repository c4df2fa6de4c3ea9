namespace EpdBatch.Video.Internal;

/// <summary>
/// A folder only this user can read (0700), made for one video and deleted with everything in it on dispose: a
/// video from blob storage is written here because ffmpeg needs a seekable file (an mp4 with its index at the end,
/// and the per-sample seeks).
/// </summary>
internal sealed class PrivateTempDirectory : IDisposable
{
    public const string Prefix = "epd-video-tmp-";

    private PrivateTempDirectory(string path) => Path = path;

    public string Path { get; }

    public static PrivateTempDirectory Create(string? parent)
    {
        parent ??= System.IO.Path.GetTempPath();
        var path = System.IO.Path.Combine(parent, Prefix + Guid.NewGuid().ToString("N"));
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return new PrivateTempDirectory(path);
    }

    /// <summary>
    /// Deletes folders this class made that are older than <paramref name="olderThan"/>: what a worker killed
    /// mid-decode (no finally runs) left behind. Safe beside running workers when the age exceeds any decode's deadline.
    /// </summary>
    public static int DeleteStale(string? parent, TimeSpan olderThan, DateTime utcNow)
    {
        parent ??= System.IO.Path.GetTempPath();
        var deleted = 0;
        foreach (var dir in Directory.EnumerateDirectories(parent, Prefix + "*"))
        {
            try
            {
                if (utcNow - Directory.GetLastWriteTimeUtc(dir) > olderThan)
                {
                    Directory.Delete(dir, recursive: true);
                    deleted++;
                }
            }
            catch (IOException)
            {
                // Another worker got there first, or it is in use: not ours to fight over.
            }
            catch (UnauthorizedAccessException)
            {
                // Another user's (0700): never ours.
            }
        }

        return deleted;
    }

    public void Dispose()
    {
        // Retried once: a killed ffmpeg may still hold the file for a moment on file systems that care (not Linux).
        for (var attempt = 0; attempt < 2; attempt++)
        {
            try
            {
                Directory.Delete(Path, recursive: true);
                return;
            }
            catch (DirectoryNotFoundException)
            {
                return;
            }
            catch (IOException) when (attempt == 0)
            {
                Thread.Sleep(50);
            }
        }
    }
}
