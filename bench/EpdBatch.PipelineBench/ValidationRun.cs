namespace EpdBatch.PipelineBench;

/// <summary>One timed job of a validation configuration: items/s by the job's own clock, the machine around it, and where its CPU went.</summary>
internal sealed record ValidationRun(int Run, PipelineJob Job, double ItemsPerSecond, MachineLoad Load, RunCpu Cpu);
