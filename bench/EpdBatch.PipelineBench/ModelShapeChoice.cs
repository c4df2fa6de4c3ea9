using EpdBatch.Model.Loading;

namespace EpdBatch.PipelineBench;

/// <summary>A named model shape for <see cref="DemoModelWriter"/>.</summary>
internal sealed record ModelShapeChoice(string Name, DemoModelWriter.Shape Model)
{
    /// <summary>
    /// CLIP-B/16 sized tower at 224 px (768 wide, 12 layers, 196 patches) and a 4-layer 512-wide Llama: compute,
    /// not messaging, dominates. Heads are shared by tower and text model: 8 gives head dims 96 and 64.
    /// </summary>
    public static ModelShapeChoice ClipB { get; } = new("clip-b", new DemoModelWriter.Shape
    {
        ImageSize = 224,
        PatchSize = 16,
        VisionHidden = 768,
        VisionLayers = 12,
        TextHidden = 512,
        TextLayers = 4,
        Heads = 8,
        KvHeads = 4,
        MaxPositions = 1024,
    });

    /// <summary>
    /// <see cref="ClipB"/> with half the tower's layers (6): encoding costs about as much as prefill and decode together,
    /// so that the planner validation's runs are short and no single stage dwarfs the others.
    /// </summary>
    public static ModelShapeChoice ClipB6 { get; } = new("clip-b-6l", ClipB.Model with { VisionLayers = 6 });

    /// <summary>The demo model (tiny): a quick check that the benchmark itself works, not a measurement.</summary>
    public static ModelShapeChoice Demo { get; } = new("demo", new DemoModelWriter.Shape());

    public static ModelShapeChoice Parse(string name) => name switch
    {
        "clip-b" => ClipB,
        "clip-b-6l" => ClipB6,
        "demo" => Demo,
        _ => throw new ArgumentException($"--shape {name}: clip-b, clip-b-6l or demo"),
    };
}
