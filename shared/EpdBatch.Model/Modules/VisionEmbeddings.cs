using EpdBatch.Model.Config;
using TorchSharp;
using TorchSharp.Modules;
using static EpdBatch.Model.Runtime.Scalars;
using static TorchSharp.torch;

namespace EpdBatch.Model.Modules;

/// <summary>Patch embedding (a strided convolution), CLIP's class token, and learned position embeddings.</summary>
internal sealed class VisionEmbeddings : nn.Module
{
#pragma warning disable IDE1006 // Field names follow the checkpoint's tensor names.
    private readonly Parameter? class_embedding;
    private readonly PatchEmbedding patch_embedding;
    private readonly Embedding position_embedding;
#pragma warning restore IDE1006

    public VisionEmbeddings(VisionConfig config, ScalarType dtype, Device device) : base(nameof(VisionEmbeddings))
    {
        var isClip = config.Architecture == VisionArchitecture.Clip;
        class_embedding = isClip ? new Parameter(empty([config.HiddenSize], dtype, device), requires_grad: false) : null;
        patch_embedding = new PatchEmbedding(config, hasBias: !isClip, dtype, device);
        position_embedding = new Embedding(config.SequenceLength, config.HiddenSize, dtype, device);
        RegisterComponents();
    }

    /// <param name="pixels">[batch, channels, height, width]</param>
    /// <returns>[batch, sequence, hidden]</returns>
    public Tensor Forward(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        var patches = patch_embedding.Forward(pixels);          // [batch, hidden, grid, grid]
        var tokens = patches.flatten(2).transpose(1, 2);         // [batch, patches, hidden]
        if (class_embedding is not null)
        {
            var cls = class_embedding.view(1, 1, -1).expand(tokens.shape[0], 1, -1);
            tokens = cat([cls, tokens], 1);                      // [batch, 1 + patches, hidden]
        }
        return tokens.add(position_embedding.Weight.unsqueeze(0), One).MoveToOuterDisposeScope();
    }
}
