using EpdBatch.Model.Config;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EpdBatch.Model.Modules;

internal sealed class PatchEmbedding : nn.Module
{
#pragma warning disable IDE1006 // Field names follow the checkpoint's tensor names.
    private readonly Parameter weight;
    private readonly Parameter? bias;
#pragma warning restore IDE1006
    private readonly long _patch;

    public PatchEmbedding(VisionConfig config, bool hasBias, ScalarType dtype, Device device) : base(nameof(PatchEmbedding))
    {
        _patch = config.PatchSize;
        weight = new Parameter(empty([config.HiddenSize, config.NumChannels, _patch, _patch], dtype, device), requires_grad: false);
        bias = hasBias ? new Parameter(empty([config.HiddenSize], dtype, device), requires_grad: false) : null;
        RegisterComponents();
    }

    public Tensor Forward(Tensor pixels) =>
        nn.functional.conv2d(pixels, weight, bias, strides: [_patch, _patch], padding: [0, 0], dilation: [1, 1], groups: 1);
}
