namespace EpdBatch.Media.Tests;

/// <summary>Locates the repository and the read-only shared test data from the test assembly's folder.</summary>
internal static class TestPaths
{
    private static readonly Lazy<string> s_repoRoot = new(FindRepoRoot);
    private static readonly Lazy<string> s_sharedTestData = new(FindSharedTestData);

    /// <summary>The repository root (the folder holding EpdBatch.sln).</summary>
    public static string RepoRoot => s_repoRoot.Value;

    /// <summary><c>&lt;repo&gt;/../shared/testdata</c>: reference checkpoints and golden outputs, never written to.</summary>
    public static string SharedTestData => s_sharedTestData.Value;

    public static string TestDataFile(string model, string file)
    {
        var path = Path.Combine(SharedTestData, model, file);
        if (!File.Exists(path))
        {
            Assert.Fail($"Missing test data file '{path}'.");
        }

        return path;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EpdBatch.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No EpdBatch.sln above '{AppContext.BaseDirectory}'; run the tests from a checkout of the repository.");
    }

    private static string FindSharedTestData()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "testdata");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            $"No shared/testdata folder above '{AppContext.BaseDirectory}'. The tests expect the shared test data beside the repository (<repo>/../shared/testdata).");
    }
}
