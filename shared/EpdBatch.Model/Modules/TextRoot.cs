using EpdBatch.Model.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace EpdBatch.Model.Modules;

/// <summary>Everything a prefill or decode worker holds: the language model and its head (or the tied embeddings).</summary>
internal sealed class TextRoot : nn.Module
{
#pragma warning disable IDE1006 // Field names follow the canonical checkpoint names (text.*, lm_head.*).
    private readonly TextModel text;
    private readonly Linear? lm_head;
#pragma warning restore IDE1006

    public TextRoot(TextConfig config, bool separateHead, ScalarType dtype, Device device) : base(nameof(TextRoot))
    {
        text = new TextModel(config, dtype, device);
        lm_head = separateHead ? new Linear(config.HiddenSize, config.VocabSize, false, dtype, device) : null;
        RegisterComponents();
    }

    public TextModel Text => text;

    /// <summary>[batch, ..., hidden] → [batch, ..., vocab]; tied to the embeddings when the checkpoint has no head.</summary>
    public Tensor Logits(Tensor hidden) => nn.functional.linear(hidden, lm_head?.Weight ?? text.Embeddings.Weight);
}
