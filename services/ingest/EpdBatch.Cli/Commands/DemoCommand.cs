using System.CommandLine;
using EpdBatch.Pipeline;

namespace EpdBatch.Cli.Commands;

/// <summary><c>epd demo</c>: make a demo model, images and manifest once, then run the job embedded.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var workDirectory = new Option<string?>("--workdir") { Description = $"Where the demo model, images, manifest and results go (default: {DemoAssets.DefaultWorkDirectory})" };
        var verbose = CommonOptions.Verbose();
        var command = new Command("demo", """
            Run the main job on a demo: a small llava-hf model with RANDOM weights (its captions are noise), 24 generated
            images and a manifest, all made once under --workdir, then run embedded (no servers needed).
            """)
        {
            workDirectory, verbose,
        };
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var work = Path.GetFullPath(parse.GetValue(workDirectory) ?? DemoAssets.DefaultWorkDirectory);
                var (model, manifest, created) = DemoAssets.Ensure(work);
                Console.Out.WriteLine($"""
                    EpdBatch demo in {work}
                      {(created ? "created" : "reusing")} a demo model with RANDOM weights: {model}
                      (its captions are noise; the point is the pipeline. For real output use a llava-hf checkpoint:
                       ./epd run {manifest} --model /path/to/llava-1.5-7b-hf --out results)
                      manifest: {manifest} ({DemoAssets.ImageCount} images)
                    """);
                var request = new JobRunner.Request(manifest, Path.Combine(work, "results"), model, Embedded: true,
                    new EpdConnectionOptions(), Strict: false, IdempotencyKey: null, parse.GetValue(verbose));
                return await RunCommand.RunAndReportAsync(request, ct);
            }
            catch (Exception e)
            {
                return CliErrors.Report(e, parse.GetValue(verbose));
            }
        });
        return command;
    }
}
