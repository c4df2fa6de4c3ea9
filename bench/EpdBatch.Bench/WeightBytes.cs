using System.Globalization;
using EpdBatch.Model.Config;
using EpdBatch.Model.Loading;

namespace EpdBatch.Bench;

/// <summary>
/// Bytes of the weights each worker holds, in the dtype it computes in, counted from the checkpoint's headers with
/// the runtime's own name mapping (so skipped tensors — CLIP's unused last layer, the post-layernorm — don't count).
/// </summary>
internal sealed record WeightBytes(long Encoder, long Language, long LanguageReadPerDecodeStep)
{
    public static WeightBytes Count(string modelDirectory, LlavaConfig config, int elementSize)
    {
        var checkpoint = Checkpoint.Open(modelDirectory);
        var towerLayers = config.VisionFeatureLayers.Max(config.TowerLayersFor);
        long encoder = 0, language = 0, embeddings = 0;
        foreach (var name in checkpoint.Names)
        {
            var bytes = checkpoint.Get(name).Shape.Aggregate(1L, (a, b) => a * b) * elementSize;
            if (name.StartsWith("text.", StringComparison.Ordinal) || name.StartsWith("lm_head.", StringComparison.Ordinal))
            {
                language += bytes;
                if (name == "text.embed_tokens.weight")
                {
                    embeddings = bytes;
                }
            }
            else if (UsedByEncoder(name, towerLayers))
            {
                encoder += bytes;
            }
        }
        // A decode step reads every weight once, except an untied input embedding table: it reads one row per
        // sequence. With tied embeddings that table is the output head and is read in full.
        var perStep = checkpoint.Contains("lm_head.weight") ? language - embeddings : language;
        return new WeightBytes(encoder, language, perStep);
    }

    private static bool UsedByEncoder(string name, int towerLayers)
    {
        if (name.StartsWith("projector.", StringComparison.Ordinal) || name == "image_newline")
        {
            return true;
        }
        if (!name.StartsWith("vision.", StringComparison.Ordinal) || name.StartsWith("vision.post_layernorm.", StringComparison.Ordinal))
        {
            return false;
        }
        const string layers = "vision.encoder.layers.";
        if (name.StartsWith(layers, StringComparison.Ordinal))
        {
            var index = name[layers.Length..name.IndexOf('.', layers.Length)];
            return int.Parse(index, CultureInfo.InvariantCulture) < towerLayers;
        }
        return true;
    }
}
