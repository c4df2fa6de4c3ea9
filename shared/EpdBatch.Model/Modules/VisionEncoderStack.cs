using EpdBatch.Model.Config;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EpdBatch.Model.Modules;

/// <summary>The tower's <c>encoder.layers</c>; only the layers that feed the projector are built.</summary>
internal sealed class VisionEncoderStack : nn.Module
{
#pragma warning disable IDE1006 // Field names follow the checkpoint's tensor names.
    private readonly ModuleList<VisionEncoderLayer> layers;
#pragma warning restore IDE1006

    public VisionEncoderStack(VisionConfig config, int layerCount, ScalarType dtype, Device device) : base(nameof(VisionEncoderStack))
    {
        layers = new ModuleList<VisionEncoderLayer>();
        for (var i = 0; i < layerCount; i++)
        {
            layers.Add(new VisionEncoderLayer(config, dtype, device));
        }
        RegisterComponents();
    }

    public int Count => layers.Count;

    public VisionEncoderLayer this[int index] => layers[index];
}
