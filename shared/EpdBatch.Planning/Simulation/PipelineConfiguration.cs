namespace EpdBatch.Planning.Simulation;

/// <summary>A layout and each stage's batching: what the planner chooses among and the simulator runs.</summary>
/// <param name="DecoderMaxBatch">Sequences a decoder holds at once (continuous batching slots).</param>
public sealed record PipelineConfiguration(Layout Layout, BatchPolicy Encoder, BatchPolicy Prefill, int DecoderMaxBatch)
{
    public void Validate(bool needsEncoder)
    {
        Layout.Validate(needsEncoder);
        if (Encoder.MaxBatchSize < 1 || Prefill.MaxBatchSize < 1 || DecoderMaxBatch < 1)
        {
            throw new ArgumentException("batch sizes must be at least 1");
        }
        if (!(Encoder.MaxWaitSeconds >= 0) || !(Prefill.MaxWaitSeconds >= 0))
        {
            throw new ArgumentException("batch waits must not be negative");
        }
    }

    public override string ToString() => $"{Layout} (batch E{Encoder.MaxBatchSize} P{Prefill.MaxBatchSize} D{DecoderMaxBatch})";
}
