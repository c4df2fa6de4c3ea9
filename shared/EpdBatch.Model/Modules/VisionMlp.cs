using EpdBatch.Model.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace EpdBatch.Model.Modules;

internal sealed class VisionMlp : nn.Module
{
#pragma warning disable IDE1006 // Field names follow the checkpoint's tensor names.
    private readonly Linear fc1;
    private readonly Linear fc2;
#pragma warning restore IDE1006
    private readonly Func<Tensor, Tensor> _act;

    public VisionMlp(VisionConfig config, ScalarType dtype, Device device) : base(nameof(VisionMlp))
    {
        fc1 = new Linear(config.HiddenSize, config.IntermediateSize, true, dtype, device);
        fc2 = new Linear(config.IntermediateSize, config.HiddenSize, true, dtype, device);
        _act = Activations.Get(config.HiddenAct);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return fc2.Forward(_act(fc1.Forward(x))).MoveToOuterDisposeScope();
    }
}
