using EpdBatch.Model.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace EpdBatch.Model.Modules;

/// <summary>
/// The CLIP / SigLIP vision tower up to the deepest layer LLaVA reads. Returns the hidden states that
/// <c>vision_feature_layer</c> names, concatenated on the last dimension.
/// </summary>
internal sealed class VisionTransformer : nn.Module
{
#pragma warning disable IDE1006 // Field names follow the checkpoint's tensor names.
    private readonly VisionEmbeddings embeddings;
    private readonly LayerNorm? pre_layrnorm;
    private readonly VisionEncoderStack encoder;
#pragma warning restore IDE1006
    private readonly int[] _featureLayers;

    public VisionTransformer(LlavaConfig config, ScalarType dtype, Device device) : base(nameof(VisionTransformer))
    {
        var vision = config.Vision;
        _featureLayers = config.VisionFeatureLayers.Select(config.TowerLayersFor).ToArray();
        embeddings = new VisionEmbeddings(vision, dtype, device);
        pre_layrnorm = vision.Architecture == VisionArchitecture.Clip
            ? new LayerNorm(vision.HiddenSize, vision.LayerNormEps, dtype, device)
            : null;
        encoder = new VisionEncoderStack(vision, _featureLayers.Max(), dtype, device);
        RegisterComponents();
    }

    /// <param name="pixels">[batch, channels, height, width]</param>
    /// <returns>[batch, sequence, hidden × feature layers]</returns>
    public Tensor Forward(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        var hidden = embeddings.Forward(pixels);
        if (pre_layrnorm is not null)
        {
            hidden = pre_layrnorm.Forward(hidden);
        }
        // hidden_states[0] is the embeddings; hidden_states[i] the output of layer i.
        var selected = new Tensor[_featureLayers.Length];
        for (var i = 0; i <= encoder.Count; i++)
        {
            for (var f = 0; f < _featureLayers.Length; f++)
            {
                if (_featureLayers[f] == i)
                {
                    selected[f] = hidden;
                }
            }
            if (i < encoder.Count)
            {
                hidden = encoder[i].Forward(hidden);
            }
        }
        var features = selected.Length == 1 ? selected[0] : cat(selected, -1);
        return features.MoveToOuterDisposeScope();
    }
}
