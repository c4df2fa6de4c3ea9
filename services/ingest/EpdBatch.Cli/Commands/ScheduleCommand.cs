using System.CommandLine;
using System.Globalization;
using EpdBatch.Ingest.Client;
using EpdBatch.Ingest.Scheduling;
using EpdBatch.Pipeline;
using Microsoft.Extensions.DependencyInjection;

namespace EpdBatch.Cli.Commands;

/// <summary><c>epd schedule add | list | remove | run-now</c>: recurring jobs, kept in Redis and fired by the ingest service.</summary>
internal static class ScheduleCommand
{
    public static Command Create()
    {
        var command = new Command("schedule", "Recurring jobs (cron, time zone, overlap policy, catch-up), kept in Redis and fired by the ingest service once per slot");
        command.Subcommands.Add(Add());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Remove());
        command.Subcommands.Add(RunNow());
        return command;
    }

    private static Command Add()
    {
        var name = new Argument<string>("name") { Description = "The schedule's name: lowercase letters, digits, '-' and '_'" };
        var cron = new Option<string>("--cron") { Description = "Five-field cron expression, e.g. \"0 2 * * *\" (02:00 every day)", Required = true };
        var timeZone = new Option<string>("--time-zone") { Description = "IANA time zone the cron expression is read in, e.g. Europe/Paris", DefaultValueFactory = _ => "UTC" };
        var manifest = new Option<string>("--manifest") { Description = "Blob URI of the manifest, read afresh at each run", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Blob URI prefix; each run writes under <out>/<slot, e.g. 20250301T010000Z>/<job-id>/", Required = true };
        var model = new Option<string?>("--model-name") { Description = "The model's name, written in results and summary.json" };
        var overlap = new Option<string>("--overlap") { Description = "When a slot comes while the previous run is active: forbid (skip the slot), replace (cancel the previous run) or allow", DefaultValueFactory = _ => "forbid" };
        overlap.AcceptOnlyFromAmong("forbid", "replace", "allow");
        var catchUp = new Option<int>("--catch-up") { Description = "Missed slots (due while no ingest ran) to run late, the most recent ones", DefaultValueFactory = _ => 0 };
        var strict = new Option<bool>("--strict") { Description = "Fail a run on any invalid manifest line" };
        var maxTokens = new Option<int?>("--max-tokens") { Description = "max_tokens of items that give none" };
        var replace = new Option<bool>("--replace") { Description = "Replace a schedule of the same name" };
        var verbose = CommonOptions.Verbose();
        var connections = ConnectionOptions.Create();
        var command = new Command("add", "Add a schedule")
        {
            name, cron, timeZone, manifest, output, model, overlap, catchUp, strict, maxTokens, replace, verbose,
        };
        connections.AddTo(command);
        command.SetAction((parse, ct) => StatusCommand.RunAsync(parse, connections, verbose, "schedule add", needsBus: false, needsBlob: false, async (services, token) =>
        {
            var manifestUri = parse.GetValue(manifest)!;
            if (!manifestUri.Contains("://", StringComparison.Ordinal))
            {
                throw new ArgumentException("a schedule reads its manifest afresh at each run: give its blob URI (az://... or https://...), not a local file");
            }

            var schedule = new ScheduleDefinition
            {
                Name = parse.GetValue(name)!,
                Cron = parse.GetValue(cron)!,
                TimeZone = parse.GetValue(timeZone)!,
                ManifestUri = manifestUri,
                OutputUri = parse.GetValue(output)!,
                Model = parse.GetValue(model),
                Overlap = Enum.Parse<OverlapPolicy>(parse.GetValue(overlap)!, ignoreCase: true),
                CatchUp = parse.GetValue(catchUp),
                Strict = parse.GetValue(strict),
                DefaultMaxTokens = parse.GetValue(maxTokens),
            };
            var added = await services.GetRequiredService<IScheduleClient>().AddAsync(schedule, parse.GetValue(replace), token);
            Print([added]);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command List()
    {
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table" };
        var verbose = CommonOptions.Verbose();
        var connections = ConnectionOptions.Create();
        var command = new Command("list", "List the schedules with their next and last runs") { json, verbose };
        connections.AddTo(command);
        command.SetAction((parse, ct) => StatusCommand.RunAsync(parse, connections, verbose, "schedule list", needsBus: false, needsBlob: false, async (services, token) =>
        {
            var schedules = await services.GetRequiredService<IScheduleClient>().ListAsync(token);
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(StatusCommand.ToJson(schedules));
            }
            else if (schedules.Count == 0)
            {
                Console.Out.WriteLine("No schedules.");
            }
            else
            {
                Print(schedules);
            }

            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Remove()
    {
        var name = new Argument<string>("name") { Description = "The schedule to remove (its past runs stay)" };
        var verbose = CommonOptions.Verbose();
        var connections = ConnectionOptions.Create();
        var command = new Command("remove", "Remove a schedule") { name, verbose };
        connections.AddTo(command);
        command.SetAction((parse, ct) => StatusCommand.RunAsync(parse, connections, verbose, "schedule remove", needsBus: false, needsBlob: false, async (services, token) =>
        {
            var removed = await services.GetRequiredService<IScheduleClient>().RemoveAsync(parse.GetValue(name)!, token);
            if (!removed)
            {
                throw new ArgumentException($"no schedule named '{parse.GetValue(name)}'");
            }

            Console.Out.WriteLine($"Removed schedule {parse.GetValue(name)}.");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command RunNow()
    {
        var name = new Argument<string>("name") { Description = "The schedule whose job runs now, outside its slots" };
        var verbose = CommonOptions.Verbose();
        var connections = ConnectionOptions.Create();
        var command = new Command("run-now", "Run a schedule's job now") { name, verbose };
        connections.AddTo(command);
        command.SetAction((parse, ct) => StatusCommand.RunAsync(parse, connections, verbose, "schedule run-now", needsBus: true, needsBlob: false, async (services, token) =>
        {
            var job = await services.GetRequiredService<IScheduleClient>().RunNowAsync(parse.GetValue(name)!, token);
            StatusCommand.Print(job);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static void Print(IReadOnlyList<ScheduleStatus> schedules)
    {
        foreach (var (schedule, index) in schedules.Select((s, i) => (s, i)))
        {
            if (index > 0)
            {
                Console.Out.WriteLine();
            }

            var d = schedule.Definition;
            var state = schedule.State;
            var rows = new List<(string Name, string Value)>
            {
                ("schedule", d.Name),
                ("cron", $"{d.Cron} ({d.TimeZone})"),
                ("next run", schedule.NextRun is { } next ? $"{Local(next, d.TimeZone)} ({next.UtcDateTime:yyyy-MM-dd HH:mm}Z)" : "never"),
                ("manifest", SecretRedactor.Redact(d.ManifestUri)),
                ("output", d.OutputUri + "/<slot>/<job-id>/"),
                ("overlap", d.Overlap.ToString().ToLowerInvariant()),
                ("catch-up", d.CatchUp.ToString(CultureInfo.InvariantCulture)),
                ("last run", state.LastJobId is null ? "none yet" : $"{state.LastJobId} for {state.LastSlot:yyyy-MM-dd HH:mm}Z"),
            };
            if (state.LastSkippedSlot is { } skipped)
            {
                rows.Add(("last skipped", $"{skipped:yyyy-MM-dd HH:mm}Z: {state.LastSkipReason}"));
            }

            StatusCommand.PrintRows(rows);
        }
    }

    private static string Local(DateTimeOffset time, string zone) =>
        TimeZoneInfo.TryFindSystemTimeZoneById(zone, out var tz)
            ? TimeZoneInfo.ConvertTime(time, tz).ToString("yyyy-MM-dd HH:mm zzz", CultureInfo.InvariantCulture)
            : time.ToString("yyyy-MM-dd HH:mm zzz", CultureInfo.InvariantCulture);
}
