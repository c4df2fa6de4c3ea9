using EpdBatch.Model.Config;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EpdBatch.Model.Modules;

/// <summary>The language model's body (embeddings, decoder layers, final norm); <c>text.*</c> in the checkpoint.</summary>
internal sealed class TextModel : nn.Module
{
#pragma warning disable IDE1006 // Field names follow the checkpoint's tensor names.
    private readonly Embedding embed_tokens;
    private readonly ModuleList<DecoderLayer> layers;
    private readonly RmsNorm norm;
#pragma warning restore IDE1006
    private DecoderLayer[]? _layers;

    public TextModel(TextConfig config, ScalarType dtype, Device device) : base(nameof(TextModel))
    {
        embed_tokens = new Embedding(config.VocabSize, config.HiddenSize, dtype, device);
        layers = new ModuleList<DecoderLayer>();
        for (var i = 0; i < config.NumHiddenLayers; i++)
        {
            layers.Add(new DecoderLayer(config, dtype, device));
        }
        norm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device);
        RegisterComponents();
    }

    public Embedding Embeddings => embed_tokens;

    public IReadOnlyList<DecoderLayer> Layers => _layers ??= [.. layers];

    public RmsNorm Norm => norm;
}
