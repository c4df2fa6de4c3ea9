namespace EpdBatch.Planning.Simulation;

/// <summary>The three stages of EPD, in pipeline order.</summary>
public enum PipelineStage
{
    Encode,
    Prefill,
    Decode,
}
