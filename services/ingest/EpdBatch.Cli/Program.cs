using System.CommandLine;
using EpdBatch.Cli.Commands;

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
