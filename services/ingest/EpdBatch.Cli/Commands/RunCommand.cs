using System.CommandLine;
using EpdBatch.Ingest.Jobs;
using EpdBatch.Pipeline;

namespace EpdBatch.Cli.Commands;

/// <summary><c>epd run MANIFEST --model DIR --out DIR_OR_URI</c>: run a job to its end, embedded or on the services.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var manifest = new Argument<string>("manifest") { Description = "JSONL manifest: a local file, or a blob URI in the distributed mode" };
        var model = CommonOptions.Model(required: false);
        var output = new Option<string>("--out", "-o") { Description = "Where results go: a local folder, or (distributed) a blob URI prefix such as az://results/nightly/", Required = true };
        var connections = ConnectionOptions.Create();
        var embedded = new Option<bool>("--embedded") { Description = "Run all four stages in this process even when connection settings are present" };
        var strict = new Option<bool>("--strict") { Description = "Fail the whole job on any invalid manifest line (default: invalid lines go to errors.jsonl, the rest runs)" };
        var key = new Option<string?>("--idempotency-key") { Description = "Submitting the same key again returns the existing job instead of running it twice" };
        var mediaRoot = CommonOptions.MediaRoot();
        var verbose = CommonOptions.Verbose();
        var command = new Command("run", """
            Run a batch job to its end and print a summary.
            With no connection settings it runs EMBEDDED: encoder, prefill, decoder and ingest in this process (in-memory bus,
            in-process token/KV store, local folders). With --rabbitmq, --redis and --blob (or EPD_RABBITMQ, EPD_REDIS,
            EPD_BLOB) it submits to the distributed services and follows the job; local media paths are uploaded first.
            Exit codes: 0 all items ok, 3 some items failed, 2 invalid input, 4 infrastructure unreachable, 130 cancelled.
            """)
        {
            manifest, model, output, embedded, strict, key, mediaRoot, verbose,
        };
        connections.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var settings = connections.Read(parse);
                var request = new JobRunner.Request(parse.GetValue(manifest)!, parse.GetValue(output)!, parse.GetValue(model),
                    parse.GetValue(embedded) || (settings.RabbitMq is null && settings.Redis is null && settings.Blob is null),
                    settings, parse.GetValue(strict), parse.GetValue(key), parse.GetValue(verbose), parse.GetValue(mediaRoot));
                return await RunAndReportAsync(request, ct);
            }
            catch (Exception e)
            {
                return CliErrors.Report(e, parse.GetValue(verbose));
            }
        });
        return command;
    }

    public static async Task<int> RunAndReportAsync(JobRunner.Request request, CancellationToken ct)
    {
        if (!request.Embedded)
        {
            var missing = new[] { (request.Connections.RabbitMq, "--rabbitmq/EPD_RABBITMQ"), (request.Connections.Redis, "--redis/EPD_REDIS"), (request.Connections.Blob, "--blob/EPD_BLOB") }
                .Where(c => c.Item1 is null).Select(c => c.Item2).ToArray();
            if (missing.Length > 0)
            {
                throw new ArgumentException($"the distributed mode needs {string.Join(", ", missing)} too (or pass --embedded)");
            }
            Environment.SetEnvironmentVariable(EpdConnectionOptions.RabbitMqVariable, request.Connections.RabbitMq);
            Environment.SetEnvironmentVariable(EpdConnectionOptions.RedisVariable, request.Connections.Redis);
            Environment.SetEnvironmentVariable(EpdConnectionOptions.BlobVariable, request.Connections.Blob);
        }
        var outcome = await JobRunner.RunAsync(request, ct);
        RunSummary.Print(outcome, Console.Out);
        return outcome.Status.State switch
        {
            JobState.Completed when outcome.Status.Failed == 0 => ExitCodes.Ok,
            JobState.Completed => ExitCodes.SomeItemsFailed,
            JobState.Cancelled => ExitCodes.Cancelled,
            _ => ExitCodes.InvalidInput,
        };
    }
}
