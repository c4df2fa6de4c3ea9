using System.CommandLine;
using EpdBatch.Ingest.Client;
using Microsoft.Extensions.DependencyInjection;

namespace EpdBatch.Cli.Commands;

/// <summary><c>epd cancel JOB</c>: stop publishing the job's items; those in flight may finish; what completed is exported.</summary>
internal static class CancelCommand
{
    public static Command Create()
    {
        var job = new Argument<string>("job") { Description = "The job to cancel" };
        var wait = new Option<bool>("--wait") { Description = "Wait until the cancel has finished (items in flight drain, or the grace period ends) and the results are exported" };
        var verbose = CommonOptions.Verbose();
        var connections = ConnectionOptions.Create();
        var command = new Command("cancel", "Cancel a job: nothing more is sent, finished items are kept and exported, the rest go to errors.jsonl as 'cancelled'")
        {
            job, wait, verbose,
        };
        connections.AddTo(command);
        command.SetAction((parse, ct) => StatusCommand.RunAsync(parse, connections, verbose, "cancel", needsBus: true, needsBlob: false, async (services, token) =>
        {
            var jobs = services.GetRequiredService<IJobClient>();
            var status = await jobs.CancelAsync(parse.GetValue(job)!, token);
            if (parse.GetValue(wait))
            {
                status = await jobs.WaitAsync(status.JobId, TimeSpan.FromSeconds(1), token);
            }

            StatusCommand.Print(status);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
