using System.CommandLine;
using System.Text;
using EpdBatch.Ingest.Client;
using EpdBatch.Pipeline.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace EpdBatch.Cli.Commands;

/// <summary>
/// <c>epd results JOB [--download DIR]</c>: print a job's results.jsonl (or errors.jsonl), or download its files. For a
/// job still running, the results flushed so far (its part files).
/// </summary>
internal static class ResultsCommand
{
    public static Command Create()
    {
        var job = new Argument<string>("job") { Description = "The job" };
        var download = new Option<string?>("--download", "-d") { Description = "Download results.jsonl, errors.jsonl, summary.json (or, while the job runs, its part files) into this folder instead of printing" };
        var errors = new Option<bool>("--errors") { Description = "Print errors.jsonl instead of results.jsonl" };
        var verbose = CommonOptions.Verbose();
        var connections = ConnectionOptions.Create();
        var command = new Command("results", "Print a job's results (JSONL, the OpenAI batch output shape) or download its output files")
        {
            job, download, errors, verbose,
        };
        connections.AddTo(command);
        command.SetAction((parse, ct) => StatusCommand.RunAsync(parse, connections, verbose, "results", needsBus: false, needsBlob: true, async (services, token) =>
        {
            var id = parse.GetValue(job)!;
            var status = await services.GetRequiredService<IJobClient>().GetAsync(id, token)
                ?? throw new JobRejectedException(id, "job_not_found", $"No job {id} (or it is past its retention).");
            var blobs = services.GetRequiredService<IBlobStore>();
            if (parse.GetValue(download) is { } folder)
            {
                Directory.CreateDirectory(folder);
                var count = 0;
                await foreach (var uri in blobs.ListAsync(status.OutputUri, token))
                {
                    var name = uri[(uri.LastIndexOf('/') + 1)..];
                    byte[] content;
                    try
                    {
                        content = await blobs.ReadAsync(uri, token);
                    }
                    catch (BlobNotFoundException)
                    {
                        // A part file the export deleted once the job's final files were written.
                        continue;
                    }

                    await File.WriteAllBytesAsync(Path.Combine(folder, name), content, token);
                    Console.Out.WriteLine(Path.Combine(folder, name));
                    count++;
                }

                if (count == 0)
                {
                    Console.Error.WriteLine($"epd: job {id} is {status.StateName} and has written nothing under {status.OutputUri} yet");
                }

                return ExitCodes.Ok;
            }

            var kind = parse.GetValue(errors) ? "errors" : "results";
            if (status.IsFinished)
            {
                try
                {
                    await WriteAsync(await blobs.ReadAsync(status.OutputUri + kind + ".jsonl", token), token);
                    return ExitCodes.Ok;
                }
                catch (BlobNotFoundException)
                {
                    // A job that failed before it ran anything may have no final files: fall through to the parts.
                }
            }

            var parts = 0;
            await foreach (var uri in blobs.ListAsync(status.OutputUri + kind + ".partial-", token))
            {
                try
                {
                    await WriteAsync(await blobs.ReadAsync(uri, token), token);
                    parts++;
                }
                catch (BlobNotFoundException)
                {
                    // The export deletes the parts once the final files are written: the job finished meanwhile.
                    Console.Error.WriteLine($"epd: job {id} finished while its parts were read; run 'epd results {id}' again for {kind}.jsonl");
                    return ExitCodes.Ok;
                }
            }

            Console.Error.WriteLine($"epd: job {id} is {status.StateName}: {(parts == 0 ? "no " + kind + " written yet" : $"the {kind} flushed so far ({parts} part files), in the order they finished")}");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static async Task WriteAsync(byte[] content, CancellationToken ct)
    {
        await using var stdout = Console.OpenStandardOutput();
        await stdout.WriteAsync(content, ct);
        if (content.Length > 0 && content[^1] != (byte)'\n')
        {
            await stdout.WriteAsync(Encoding.UTF8.GetBytes("\n"), ct);
        }
    }
}
