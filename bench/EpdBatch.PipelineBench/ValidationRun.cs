namespace EpdBatch.PipelineBench;

/// <summary>One timed job of a validation configuration: items/s by the job's own clock, and the machine around it.</summary>
internal sealed record ValidationRun(int Run, PipelineJob Job, double ItemsPerSecond, MachineLoad Load);
