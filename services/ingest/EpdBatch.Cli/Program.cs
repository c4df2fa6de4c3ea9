using System.CommandLine;
using EpdBatch.Cli.Commands;
using EpdBatch.Pipeline;

// Everything this process prints passes the redactor: log lines, errors, a library's messages. The secrets of the
// environment's connection settings are masked wherever they appear; those given as options are added when read.
SecretRedactor.RememberSecretsOf(EpdConnectionOptions.FromEnvironment());
Console.SetOut(RedactingTextWriter.Wrap(Console.Out));
Console.SetError(RedactingTextWriter.Wrap(Console.Error));

var root = new RootCommand("EpdBatch: bulk multimodal inference (image captioning, video QA) with encode / prefill / decode disaggregation")
{
    RunCommand.Create(),
    DemoCommand.Create(),
    InferCommand.Create(),
    TokenizeCommand.Create(),
    SubmitCommand.Create(),
    StatusCommand.Create(),
    CancelCommand.Create(),
    RetryCommand.Create(),
    ResultsCommand.Create(),
    ScheduleCommand.Create(),
    PlanCommand.Create(),
    ServeCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
