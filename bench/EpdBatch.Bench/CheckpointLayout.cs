using EpdBatch.Model.Config;

namespace EpdBatch.Bench;

/// <summary>
/// Every tensor a transformers 5.x llava / llava_onevision model saves, under the names transformers 5.x writes
/// (<c>vision_tower.*</c>, <c>multi_modal_projector.*</c>, <c>language_model.model.*</c>,
/// <c>language_model.lm_head.weight</c>, <c>image_newline</c>), so transformers can load what make-model writes.
/// This includes tensors the runtime skips (the tower's post-layernorm, and CLIP's last layer when
/// vision_feature_layer is -2).
/// </summary>
internal static class CheckpointLayout
{
    public static IReadOnlyList<TensorSpec> Tensors(LlavaConfig config)
    {
        var list = new List<TensorSpec>();
        AddVision(list, config.Vision);
        long text = config.Text.HiddenSize;
        long projectorIn = (long)config.Vision.HiddenSize * config.VisionFeatureLayers.Count;
        Add(list, "multi_modal_projector.linear_1.weight", text, projectorIn);
        if (config.ProjectorBias)
        {
            Add(list, "multi_modal_projector.linear_1.bias", text);
        }
        Add(list, "multi_modal_projector.linear_2.weight", text, text);
        if (config.ProjectorBias)
        {
            Add(list, "multi_modal_projector.linear_2.bias", text);
        }
        if (config.Architecture == MultimodalArchitecture.LlavaOnevision)
        {
            Add(list, "image_newline", text);
        }
        AddText(list, config.Text);
        return list;
    }

    private static void AddVision(List<TensorSpec> list, VisionConfig v)
    {
        const string p = "vision_tower.";
        long h = v.HiddenSize;
        long i = v.IntermediateSize;
        var isClip = v.Architecture == VisionArchitecture.Clip;
        if (isClip)
        {
            Add(list, p + "embeddings.class_embedding", h);
        }
        Add(list, p + "embeddings.patch_embedding.weight", h, v.NumChannels, v.PatchSize, v.PatchSize);
        if (!isClip)
        {
            Add(list, p + "embeddings.patch_embedding.bias", h);
        }
        Add(list, p + "embeddings.position_embedding.weight", v.SequenceLength, h);
        if (isClip)
        {
            Add(list, p + "pre_layrnorm.weight", h);
            Add(list, p + "pre_layrnorm.bias", h);
        }
        for (var l = 0; l < v.NumHiddenLayers; l++)
        {
            var layer = $"{p}encoder.layers.{l}.";
            foreach (var proj in new[] { "q_proj", "k_proj", "v_proj", "out_proj" })
            {
                Add(list, $"{layer}self_attn.{proj}.weight", h, h);
                Add(list, $"{layer}self_attn.{proj}.bias", h);
            }
            Add(list, layer + "layer_norm1.weight", h);
            Add(list, layer + "layer_norm1.bias", h);
            Add(list, layer + "mlp.fc1.weight", i, h);
            Add(list, layer + "mlp.fc1.bias", i);
            Add(list, layer + "mlp.fc2.weight", h, i);
            Add(list, layer + "mlp.fc2.bias", h);
            Add(list, layer + "layer_norm2.weight", h);
            Add(list, layer + "layer_norm2.bias", h);
        }
        Add(list, p + "post_layernorm.weight", h);
        Add(list, p + "post_layernorm.bias", h);
    }

    private static void AddText(List<TensorSpec> list, TextConfig t)
    {
        const string p = "language_model.model.";
        long h = t.HiddenSize;
        long q = (long)t.NumAttentionHeads * t.HeadDim;
        long kv = (long)t.NumKeyValueHeads * t.HeadDim;
        long i = t.IntermediateSize;
        Add(list, p + "embed_tokens.weight", t.VocabSize, h);
        for (var l = 0; l < t.NumHiddenLayers; l++)
        {
            var layer = $"{p}layers.{l}.";
            Add(list, layer + "input_layernorm.weight", h);
            Add(list, layer + "self_attn.q_proj.weight", q, h);
            Add(list, layer + "self_attn.k_proj.weight", kv, h);
            Add(list, layer + "self_attn.v_proj.weight", kv, h);
            if (t.AttentionBias)
            {
                Add(list, layer + "self_attn.q_proj.bias", q);
                Add(list, layer + "self_attn.k_proj.bias", kv);
                Add(list, layer + "self_attn.v_proj.bias", kv);
            }
            Add(list, layer + "self_attn.o_proj.weight", h, q);
            Add(list, layer + "post_attention_layernorm.weight", h);
            Add(list, layer + "mlp.gate_proj.weight", i, h);
            Add(list, layer + "mlp.up_proj.weight", i, h);
            Add(list, layer + "mlp.down_proj.weight", h, i);
        }
        Add(list, p + "norm.weight", h);
        if (!t.TieWordEmbeddings)
        {
            Add(list, "language_model.lm_head.weight", t.VocabSize, h);
        }
    }

    private static void Add(List<TensorSpec> list, string name, params long[] shape) => list.Add(new TensorSpec(name, shape));
}
