using System.CommandLine;
using EpdBatch.Cli.Commands;

var root = new RootCommand("EpdBatch: bulk multimodal inference (image captioning, video QA) with encode / prefill / decode disaggregation")
{
    InferCommand.Create(),
    TokenizeCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
