using EpdBatch.Model.Runtime;
using EpdBatch.Model.Sampling;

namespace EpdBatch.Cli.Commands;

internal sealed record InferRequest
{
    public required string ModelDirectory { get; init; }
    public IReadOnlyList<string> Images { get; init; } = [];
    public string? Video { get; init; }
    public IReadOnlyList<string>? VideoFrames { get; init; }
    public int? Frames { get; init; }
    public string? Prompt { get; init; }
    public IReadOnlyList<int>? PromptIds { get; init; }
    public required SamplingParams Sampling { get; init; }
    public bool IgnoreEos { get; init; }
    public string? DumpTensors { get; init; }
    public RuntimeOptions Runtime { get; init; } = RuntimeOptions.Cpu;
    public string? LibTorch { get; init; }
}
