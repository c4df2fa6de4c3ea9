using EpdBatch.Model.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace EpdBatch.Model.Modules;

/// <summary>SwiGLU feed-forward: down(silu(gate(x)) · up(x)).</summary>
internal sealed class TextMlp : nn.Module
{
#pragma warning disable IDE1006 // Field names follow the checkpoint's tensor names.
    private readonly Linear gate_proj;
    private readonly Linear up_proj;
    private readonly Linear down_proj;
#pragma warning restore IDE1006

    public TextMlp(TextConfig config, ScalarType dtype, Device device) : base(nameof(TextMlp))
    {
        gate_proj = new Linear(config.HiddenSize, config.IntermediateSize, false, dtype, device);
        up_proj = new Linear(config.HiddenSize, config.IntermediateSize, false, dtype, device);
        down_proj = new Linear(config.IntermediateSize, config.HiddenSize, false, dtype, device);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return down_proj.Forward(nn.functional.silu(gate_proj.Forward(x)) * up_proj.Forward(x)).MoveToOuterDisposeScope();
    }
}
