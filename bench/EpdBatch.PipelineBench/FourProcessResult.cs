namespace EpdBatch.PipelineBench;

/// <summary>One four-process run: ingest, encoder, prefill and decoder as separate processes over RabbitMQ, Redis and Azurite.</summary>
internal sealed record FourProcessResult(
    int Run,
    string Threads,
    string JobId,
    int ExitCode,
    int Completed,
    int Failed,
    double CliWallSeconds,
    double JobWallSeconds,
    double ItemsPerSecond,
    IReadOnlyDictionary<string, StageFigures> Stages,
    IReadOnlyDictionary<string, double> CpuSeconds,
    MachineLoad Load,
    [property: System.Text.Json.Serialization.JsonIgnore] IReadOnlyDictionary<string, int[]> Tokens);
