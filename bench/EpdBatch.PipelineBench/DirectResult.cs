namespace EpdBatch.PipelineBench;

/// <summary>
/// One direct run: the stages called in this process, no broker, no Redis, no blob store, with the services' default
/// batch sizes; <see cref="Mode"/> says whether the stages ran one after the other or overlapped on three threads.
/// </summary>
internal sealed record DirectResult(
    int Run,
    string Mode,
    int TorchThreads,
    double LoadSeconds,
    double WallSeconds,
    double ItemsPerSecond,
    IReadOnlyDictionary<string, StageFigures> Stages,
    int EncodeBatches,
    int PrefillBatches,
    int DecodeSteps,
    double DecodeMeanRows,
    double CpuSeconds,
    MachineLoad Load,
    [property: System.Text.Json.Serialization.JsonIgnore] IReadOnlyDictionary<string, int[]> Tokens);
