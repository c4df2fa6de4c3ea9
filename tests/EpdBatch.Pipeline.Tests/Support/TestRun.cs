using System.Security.Cryptography;

namespace EpdBatch.Pipeline.Tests.Support;

/// <summary>One id per test run, for key prefixes, container and queue names, so that runs never meet.</summary>
internal static class TestRun
{
    public static string Id { get; } = "t" + DateTime.UtcNow.ToString("HHmmss") + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    /// <summary>A fresh name in this run: lowercase letters, digits and '-' (valid for a container, a queue, a job id).</summary>
    public static string Name(string what) => $"{what}-{Id}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";

    /// <summary>The repository root (the folder with EpdBatch.sln).</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EpdBatch.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No EpdBatch.sln above {AppContext.BaseDirectory}.");
    }
}
