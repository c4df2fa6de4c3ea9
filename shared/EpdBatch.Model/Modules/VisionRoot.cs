using EpdBatch.Model.Config;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EpdBatch.Model.Modules;

/// <summary>Everything an encoder worker holds: the tower, the projector and (OneVision) the newline embedding.</summary>
internal sealed class VisionRoot : nn.Module
{
#pragma warning disable IDE1006 // Field names follow the canonical checkpoint names (vision.*, projector.*, image_newline).
    private readonly VisionTransformer vision;
    private readonly Projector projector;
    private readonly Parameter? image_newline;
#pragma warning restore IDE1006

    public VisionRoot(LlavaConfig config, ScalarType dtype, Device device) : base(nameof(VisionRoot))
    {
        vision = new VisionTransformer(config, dtype, device);
        projector = new Projector(config, dtype, device);
        image_newline = config.Architecture == MultimodalArchitecture.LlavaOnevision
            ? new Parameter(empty([config.Text.HiddenSize], dtype, device), requires_grad: false)
            : null;
        RegisterComponents();
    }

    public VisionTransformer Tower => vision;

    public Projector Projector => projector;

    public Tensor? ImageNewline => image_newline;
}
