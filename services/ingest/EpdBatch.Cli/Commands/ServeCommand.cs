using System.CommandLine;
using EpdBatch.Cli.Hosting;
using EpdBatch.Pipeline;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EpdBatch.Cli.Commands;

/// <summary><c>epd serve STAGE</c>: run one stage as a service (what the compose services and the integration tests run).</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var stage = new Argument<string>("stage") { Description = "ingest, encoder, prefill or decoder" };
        stage.AcceptOnlyFromAmong([.. PipelineStages.All]);
        var verbose = CommonOptions.Verbose();
        var command = new Command("serve", """
            Run one pipeline stage as a long-running service until stopped (Ctrl+C / SIGTERM).
            Connections come from EPD_RABBITMQ, EPD_REDIS, EPD_BLOB and EPD_MODEL (or appsettings.json section Epd:Connections);
            stage settings from Epd__<Stage>__<Setting> variables or appsettings.json (see the README's configuration table).
            """)
        {
            stage, verbose,
        };
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var name = parse.GetValue(stage)!;
                var builder = EpdHostFactory.CreateBuilder([name], new Dictionary<string, string?>(), parse.GetValue(verbose) ? LogLevel.Debug : LogLevel.Information);
                using var host = builder.Build();
                await host.RunAsync(ct);
                return ExitCodes.Ok;
            }
            catch (Exception e)
            {
                return CliErrors.Report(e, parse.GetValue(verbose));
            }
        });
        return command;
    }
}
