using System.CommandLine;
using EpdBatch.Ingest.Client;
using Microsoft.Extensions.DependencyInjection;

namespace EpdBatch.Cli.Commands;

/// <summary><c>epd retry JOB</c>: a new job of the finished job's failed items, linked both ways.</summary>
internal static class RetryCommand
{
    public static Command Create()
    {
        var job = new Argument<string>("job") { Description = "A finished job whose failed items run again (fix their cause first, e.g. upload the missing media)" };
        var output = new Option<string?>("--out", "-o") { Description = "Output prefix of the new job (default: the first job's)" };
        var wait = new Option<bool>("--wait") { Description = "Wait until the new job has finished; the exit code then tells how it went" };
        var verbose = CommonOptions.Verbose();
        var connections = ConnectionOptions.Create();
        var command = new Command("retry", "Run a finished job's failed items again as a new job, linked to it (retrying twice gives the same new job)")
        {
            job, output, wait, verbose,
        };
        connections.AddTo(command);
        command.SetAction((parse, ct) => StatusCommand.RunAsync(parse, connections, verbose, "retry", needsBus: true, needsBlob: false, async (services, token) =>
        {
            var jobs = services.GetRequiredService<IJobClient>();
            var status = await jobs.RetryAsync(parse.GetValue(job)!, parse.GetValue(output), token);
            if (parse.GetValue(wait))
            {
                status = await jobs.WaitAsync(status.JobId, TimeSpan.FromSeconds(1), token);
            }

            StatusCommand.Print(status);
            return parse.GetValue(wait) ? StatusCommand.ExitCodeOf(status) : ExitCodes.Ok;
        }, ct));
        return command;
    }
}
