using System.CommandLine;
using EpdBatch.Ingest.Client;
using EpdBatch.Pipeline.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace EpdBatch.Cli.Commands;

/// <summary><c>epd submit MANIFEST --out URI</c>: hand a job to the ingest service and return at once (or follow it with --wait).</summary>
internal static class SubmitCommand
{
    public static Command Create()
    {
        var manifest = new Argument<string>("manifest") { Description = "JSONL manifest: a blob URI (az://..., https://...), or a local file, uploaded first with the local media it names (needs --blob)" };
        var output = new Option<string>("--out", "-o") { Description = "Blob URI prefix for the outputs, e.g. az://results/nightly: the job writes <out>/<job-id>/results.jsonl, errors.jsonl, summary.json", Required = true };
        var key = new Option<string?>("--idempotency-key") { Description = "Submitting the same key again returns the existing job (default: a hash of the manifest's content, the model and these options)" };
        var strict = new Option<bool>("--strict") { Description = "Fail the whole job on any invalid manifest line (default: invalid lines go to errors.jsonl, the rest runs)" };
        var model = new Option<string?>("--model-name") { Description = "The model's name, written in results and summary.json" };
        var maxTokens = new Option<int?>("--max-tokens") { Description = "max_tokens of items that give none (default: the ingest's Epd:Ingest:DefaultMaxTokens)" };
        var mediaRoot = CommonOptions.MediaRoot();
        var wait = new Option<bool>("--wait") { Description = "Wait until the job has finished; the exit code then tells how it went (0 ok, 3 some items failed, 130 cancelled)" };
        var json = new Option<bool>("--json") { Description = "Print the job as JSON" };
        var verbose = CommonOptions.Verbose();
        var connections = ConnectionOptions.Create();
        var command = new Command("submit", "Submit a batch job to the ingest service (distributed mode: --rabbitmq, --redis, --blob or EPD_*) and print its id")
        {
            manifest, output, key, strict, model, maxTokens, mediaRoot, wait, json, verbose,
        };
        connections.AddTo(command);
        command.SetAction((parse, ct) =>
        {
            var local = !parse.GetValue(manifest)!.Contains("://", StringComparison.Ordinal);
            return StatusCommand.RunAsync(parse, connections, verbose, "submit", needsBus: true, needsBlob: local, async (services, token) =>
            {
                var manifestUri = await ManifestUploader.UploadIfLocalAsync(services.GetRequiredService<IBlobStore>(), parse.GetValue(manifest)!, parse.GetValue(mediaRoot), token);
                var jobs = services.GetRequiredService<IJobClient>();
                var status = await jobs.SubmitAsync(new JobSubmission(manifestUri, parse.GetValue(output)!)
                {
                    IdempotencyKey = parse.GetValue(key),
                    Strict = parse.GetValue(strict),
                    Model = parse.GetValue(model),
                    DefaultMaxTokens = parse.GetValue(maxTokens),
                }, token);
                if (parse.GetValue(wait))
                {
                    status = await jobs.WaitAsync(status.JobId, TimeSpan.FromSeconds(1), token);
                }

                if (parse.GetValue(json))
                {
                    Console.Out.WriteLine(StatusCommand.ToJson(status));
                }
                else
                {
                    StatusCommand.Print(status);
                }

                return parse.GetValue(wait) ? StatusCommand.ExitCodeOf(status) : ExitCodes.Ok;
            }, ct);
        });
        return command;
    }
}
