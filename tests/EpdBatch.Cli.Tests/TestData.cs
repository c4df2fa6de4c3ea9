using System.Text.Json;

namespace EpdBatch.Cli.Tests;

/// <summary>Finds the read-only reference data (<c>../shared/testdata</c> beside the checkout) and reads golden files.</summary>
internal static class TestData
{
    private static readonly Lazy<string> s_root = new(Find);

    public static string Root => s_root.Value;

    public static string Folder(string name) => Path.Combine(Root, name);

    public static JsonElement Golden(string folder)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Folder(folder), "golden.json")));
        return document.RootElement.Clone();
    }

    public static float[] Floats(this JsonElement element) => element.EnumerateArray().Select(x => x.GetSingle()).ToArray();

    public static int[] Ints(this JsonElement element) => element.EnumerateArray().Select(x => x.GetInt32()).ToArray();

    /// <summary>A writable copy of a reference folder, for tests that change files.</summary>
    public static string CopyToTemp(string folder)
    {
        var target = Path.Combine(Path.GetTempPath(), "epd-tests", $"{folder}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(Folder(folder)))
        {
            var destination = Path.Combine(target, Path.GetFileName(file));
            File.Copy(file, destination);
            File.SetAttributes(destination, FileAttributes.Normal);
        }
        return target;
    }

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
