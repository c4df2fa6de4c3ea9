namespace EpdBatch.Planning.Tests;

/// <summary>Finds the read-only reference data (<c>../shared/testdata</c> beside the checkout, or EPD_TESTDATA).</summary>
internal static class TestData
{
    private static readonly Lazy<string> s_root = new(Find);

    public static string Folder(string name) => Path.Combine(s_root.Value, name);

    private static string Find()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("EPD_TESTDATA");
        if (!string.IsNullOrEmpty(fromEnvironment) && Directory.Exists(fromEnvironment))
        {
            return fromEnvironment;
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "testdata");
            if (Directory.Exists(Path.Combine(candidate, "llava-tiny-clip-llama")))
            {
                return candidate;
            }
        }
        throw new DirectoryNotFoundException("reference data not found: expected ../shared/testdata beside the checkout (or set EPD_TESTDATA)");
    }
}
