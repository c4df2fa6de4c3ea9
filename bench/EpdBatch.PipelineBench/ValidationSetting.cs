using EpdBatch.Planning.Simulation;

namespace EpdBatch.PipelineBench;

/// <summary>One configuration of the real pipeline that the planner validation runs: encoder replicas and each stage's MaxBatchSize.</summary>
internal sealed record ValidationSetting(int Encoders, int EncoderBatch, int PrefillBatch, int DecoderBatch)
{
    /// <summary>"E/eb/pb/db", e.g. "2/8/4/16": 2 encoders with batches of 8, prefill batches of 4, 16 decoder slots.</summary>
    public static ValidationSetting Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 4 || !parts.All(p => int.TryParse(p, out var n) && n > 0))
        {
            throw new ArgumentException($"--configs {text}: each configuration is E/EB/PB/DB (encoder replicas, encoder, prefill and decoder batch), e.g. 2/8/4/16");
        }
        var n = parts.Select(int.Parse).ToArray();
        return new ValidationSetting(n[0], n[1], n[2], n[3]);
    }

    /// <summary>The same configuration for the simulator: one prefill and one decoder replica, the services' 20 ms batch wait.</summary>
    public PipelineConfiguration Configuration() =>
        new(Layout.Disaggregated(Encoders, 1, 1), new BatchPolicy(EncoderBatch, 0.020), new BatchPolicy(PrefillBatch, 0.020), DecoderBatch);

    public override string ToString() => $"{Encoders}E+1P+1D, batch E{EncoderBatch} P{PrefillBatch} D{DecoderBatch}";
}
