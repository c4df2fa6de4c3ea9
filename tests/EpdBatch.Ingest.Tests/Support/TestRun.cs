using System.Security.Cryptography;

namespace EpdBatch.Ingest.Tests.Support;

/// <summary>One id per test run, for key prefixes, queue and container names, so that runs (and other suites on the same servers) never meet.</summary>
internal static class TestRun
{
    public static string Id { get; } = "i" + DateTime.UtcNow.ToString("HHmmss") + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));

    /// <summary>A fresh name: lowercase letters, digits and '-' (valid for a container, a queue, a key part).</summary>
    public static string Name(string what) => $"{what}-{Id}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";

    /// <summary>A fresh temporary folder, deleted by the caller.</summary>
    public static string TempFolder()
    {
        var path = Path.Combine(Path.GetTempPath(), Name("epd-ingest"));
        Directory.CreateDirectory(path);
        return path;
    }
}
