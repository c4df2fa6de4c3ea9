using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using EpdBatch.Cli.Hosting;
using EpdBatch.Ingest.Client;
using EpdBatch.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using StackExchange.Redis;

namespace EpdBatch.Cli.Commands;

/// <summary>
/// <c>epd status [JOB]</c>: a table of the latest jobs, or one job's state, counts, progress through the stages,
/// timestamps and retry links. Also the plumbing the other job verbs share (connecting to the distributed services,
/// printing a job, mapping refusals to exit codes).
/// </summary>
internal static class StatusCommand
{
    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static Command Create()
    {
        var job = new Argument<string?>("job") { Description = "A job id; without one, the latest jobs", Arity = ArgumentArity.ZeroOrOne };
        var limit = new Option<int>("--limit", "-n") { Description = "How many jobs the table shows", DefaultValueFactory = _ => 20 };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table" };
        var verbose = CommonOptions.Verbose();
        var connections = ConnectionOptions.Create();
        var command = new Command("status", "Show the latest jobs, or one job: state, counts, progress, timestamps, retry links (reads Redis: --redis or EPD_REDIS)")
        {
            job, limit, json, verbose,
        };
        connections.AddTo(command);
        command.SetAction((parse, ct) => RunAsync(parse, connections, verbose, "status", needsBus: false, needsBlob: false, async (services, token) =>
        {
            var jobs = services.GetRequiredService<IJobClient>();
            if (parse.GetValue(job) is { } id)
            {
                var status = await jobs.GetAsync(id, token) ?? throw new JobRejectedException(id, "job_not_found", $"No job {id} (or it is past its retention).");
                if (parse.GetValue(json))
                {
                    Console.Out.WriteLine(ToJson(status));
                    return ExitCodes.Ok;
                }

                Print(status);
                foreach (var linked in new[] { status.RetryOf, status.RetriedBy }.OfType<string>())
                {
                    if (await jobs.GetAsync(linked, token) is { } other)
                    {
                        Console.Out.WriteLine();
                        Print(other);
                    }
                }

                return ExitCodes.Ok;
            }

            var list = await jobs.ListAsync(Math.Max(1, parse.GetValue(limit)), token);
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(list, s_json));
            }
            else
            {
                PrintTable(list);
            }

            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    /// <summary>
    /// Runs <paramref name="body"/> with a client of the distributed services: Redis always (jobs live there), the
    /// broker for commands (<paramref name="needsBus"/>), blob storage for files (<paramref name="needsBlob"/>). Maps
    /// refusals and unreachable servers to their exit codes, with one line on stderr.
    /// </summary>
    internal static async Task<int> RunAsync(
        ParseResult parse,
        ConnectionOptions connections,
        Option<bool> verbose,
        string verb,
        bool needsBus,
        bool needsBlob,
        Func<IServiceProvider, CancellationToken, Task<int>> body,
        CancellationToken ct)
    {
        try
        {
            var settings = connections.Read(parse);
            var missing = new List<string>();
            if (settings.Redis is null)
            {
                missing.Add("--redis or EPD_REDIS");
            }

            if (needsBus && settings.RabbitMq is null)
            {
                missing.Add("--rabbitmq or EPD_RABBITMQ");
            }

            if (needsBlob && settings.Blob is null)
            {
                missing.Add("--blob or EPD_BLOB");
            }

            if (missing.Count > 0)
            {
                throw new ArgumentException(
                    $"epd {verb} works with the distributed services (an ingest run by `epd serve ingest`) and needs {string.Join(", ", missing)}; " +
                    "the jobs of an embedded `epd run` live only inside that run");
            }

            var configuration = new Dictionary<string, string?>
            {
                // The broker only where this verb sends a command: reads need none, and skip its connection time.
                [EpdConnectionOptions.RabbitMqVariable] = needsBus ? settings.RabbitMq : "",
                [EpdConnectionOptions.RedisVariable] = settings.Redis,
                [EpdConnectionOptions.BlobVariable] = settings.Blob ?? "",
                ["Epd:Messaging:StartTimeout"] = "00:00:15",
            };
            var builder = EpdHostFactory.CreateBuilder([], configuration, parse.GetValue(verbose) ? LogLevel.Information : LogLevel.Error);
            using var host = builder.Build();
            await host.StartAsync(ct);
            try
            {
                return await body(host.Services, ct);
            }
            finally
            {
                await host.StopAsync(CancellationToken.None);
            }
        }
        catch (JobRejectedException e)
        {
            Console.Error.WriteLine($"epd: error: {e.Message} ({e.Code})");
            return ExitCodes.InvalidInput;
        }
        catch (IngestUnavailableException e)
        {
            Console.Error.WriteLine($"epd: error: {e.Message}");
            return ExitCodes.InfrastructureUnreachable;
        }
        catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException)
        {
            Console.Error.WriteLine($"epd: error: Redis did not answer ({e.Message.Split('\n')[0]}) — is it running, and --redis / EPD_REDIS right?");
            if (parse.GetValue(verbose))
            {
                Console.Error.WriteLine(e.ToString());
            }

            return ExitCodes.InfrastructureUnreachable;
        }
        catch (Exception e)
        {
            return CliErrors.Report(e, parse.GetValue(verbose));
        }
    }

    /// <summary>One job, as name/value rows: a bordered table on a terminal, aligned text elsewhere.</summary>
    internal static void Print(JobStatus status)
    {
        var rows = new List<(string Name, string Value)>
        {
            ("job", status.JobId),
            ("state", status.StateName + (status.ErrorCode is null ? "" : $" ({status.ErrorCode}: {status.ErrorMessage})")),
            ("progress", Progress(status)),
            ("items", $"{status.Completed} completed, {status.Failed} failed ({status.InvalidLines} invalid lines) of {(status.Total > 0 ? status.Total : status.Items)}; {status.Published} sent"),
            ("stages", string.Join(", ", new[] { PipelineStages.Encoder, PipelineStages.Prefill, PipelineStages.Decoder }
                .Select(s => $"{s} {status.StageCounts.GetValueOrDefault(s)}"))),
            ("tokens", $"{status.PromptTokens} in, {status.CompletionTokens} out"),
            ("manifest", status.ManifestUri),
            ("output", status.OutputUri + (status.Parts > 0 && !status.IsFinished ? $" ({status.Parts} partial files so far)" : "")),
        };
        if (status.Model is { } model)
        {
            rows.Add(("model", model));
        }

        foreach (var (state, at) in status.Timestamps)
        {
            rows.Add((state, at.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)));
        }

        if (status.RetryOf is { } retryOf)
        {
            rows.Add(("retry of", retryOf));
        }

        if (status.RetriedBy is { } retriedBy)
        {
            rows.Add(("retried by", retriedBy));
        }

        if (status.Schedule is { } schedule)
        {
            rows.Add(("schedule", $"{schedule} ({status.ScheduledFor:yyyy-MM-dd HH:mm}Z)"));
        }

        if (status.IdempotencyKey is { } key)
        {
            rows.Add(("idempotency key", key));
        }

        PrintRows(rows);
    }

    internal static void PrintRows(IReadOnlyList<(string Name, string Value)> rows)
    {
        if (ProgressDisplay.IsInteractive)
        {
            var table = new Table().Border(TableBorder.Rounded).AddColumn("").AddColumn("");
            table.HideHeaders();
            foreach (var (name, value) in rows)
            {
                table.AddRow(Markup.Escape(name), Markup.Escape(value));
            }

            AnsiConsole.Write(table);
            return;
        }

        var width = rows.Max(r => r.Name.Length);
        foreach (var (name, value) in rows)
        {
            Console.Out.WriteLine($"{name.PadRight(width)}  {value}");
        }
    }

    internal static string ToJson<T>(T value) => JsonSerializer.Serialize(value, s_json);

    /// <summary>The exit code a finished job deserves: 0 all done, 3 some items failed, 130 cancelled, 1 failed.</summary>
    internal static int ExitCodeOf(JobStatus status) => status.State switch
    {
        Ingest.Jobs.JobState.Completed when status.Failed == 0 => ExitCodes.Ok,
        Ingest.Jobs.JobState.Completed => ExitCodes.SomeItemsFailed,
        Ingest.Jobs.JobState.Cancelled => ExitCodes.Cancelled,
        Ingest.Jobs.JobState.Failed => ExitCodes.Unexpected,
        _ => ExitCodes.Ok,
    };

    private static void PrintTable(IReadOnlyList<JobStatus> jobs)
    {
        if (jobs.Count == 0)
        {
            Console.Out.WriteLine("No jobs.");
            return;
        }

        string[] headers = ["JOB", "STATE", "PROGRESS", "COMPLETED", "FAILED", "CREATED", "LINKS"];
        var rows = jobs.Select(j => new[]
        {
            j.JobId,
            j.StateName,
            Progress(j),
            j.Completed.ToString(CultureInfo.InvariantCulture),
            j.Failed.ToString(CultureInfo.InvariantCulture),
            j.CreatedAt.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            string.Join(" ", new[] { j.RetryOf is null ? null : "retry of " + j.RetryOf, j.RetriedBy is null ? null : "retried by " + j.RetriedBy, j.Schedule is null ? null : "schedule " + j.Schedule }.OfType<string>()),
        }).ToList();
        if (ProgressDisplay.IsInteractive)
        {
            var table = new Table().Border(TableBorder.Rounded);
            foreach (var header in headers)
            {
                table.AddColumn(header);
            }

            foreach (var row in rows)
            {
                table.AddRow(row.Select(Markup.Escape).ToArray());
            }

            AnsiConsole.Write(table);
            return;
        }

        var widths = headers.Select((h, i) => Math.Max(h.Length, rows.Max(r => r[i].Length))).ToArray();
        Console.Out.WriteLine(string.Join("  ", headers.Select((h, i) => h.PadRight(widths[i]))).TrimEnd());
        foreach (var row in rows)
        {
            Console.Out.WriteLine(string.Join("  ", row.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        }
    }

    private static string Progress(JobStatus status) =>
        status.Total == 0
            ? status.IsFinished ? "-" : "validating"
            : string.Create(CultureInfo.InvariantCulture, $"{status.Completed + status.Failed}/{status.Total} ({status.Progress:P0})");
}
