using EpdBatch.Model.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace EpdBatch.Model.Modules;

/// <summary>LLaVA's two-layer projector from vision features to language-model embeddings.</summary>
internal sealed class Projector : nn.Module
{
#pragma warning disable IDE1006 // Field names follow the checkpoint's tensor names.
    private readonly Linear linear_1;
    private readonly Linear linear_2;
#pragma warning restore IDE1006
    private readonly Func<Tensor, Tensor> _act;

    public Projector(LlavaConfig config, ScalarType dtype, Device device) : base(nameof(Projector))
    {
        long input = (long)config.Vision.HiddenSize * config.VisionFeatureLayers.Count;
        linear_1 = new Linear(input, config.Text.HiddenSize, config.ProjectorBias, dtype, device);
        linear_2 = new Linear(config.Text.HiddenSize, config.Text.HiddenSize, config.ProjectorBias, dtype, device);
        _act = Activations.Get(config.ProjectorHiddenAct);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return linear_2.Forward(_act(linear_1.Forward(x))).MoveToOuterDisposeScope();
    }
}
