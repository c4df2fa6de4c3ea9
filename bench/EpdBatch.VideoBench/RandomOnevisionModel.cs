using System.Text.Json.Nodes;
using EpdBatch.Model.Loading;

namespace EpdBatch.VideoBench;

/// <summary>
/// A LLaVA-OneVision checkpoint with a RANDOM SigLIP tower of the asked size (patch 14, head size 64), built on
/// onevision-tiny-video: its config, projector shape and (tiny) Qwen2 text model are kept, only the vision tower is
/// replaced. Random weights cost the same FLOPs as trained ones, which is all a throughput figure needs.
/// </summary>
internal static class RandomOnevisionModel
{
    private const int Patch = 14;

    public static string Write(string directory, string tinyModel, int imageSize, int hidden, int layers)
    {
        var marker = Path.Combine(directory, $"random-{imageSize}-{hidden}-{layers}.done");
        if (File.Exists(marker))
        {
            return directory;
        }

        Directory.CreateDirectory(directory);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(tinyModel, "config.json")))!.AsObject();
        var vision = config["vision_config"]!.AsObject();
        vision["image_size"] = imageSize;
        vision["patch_size"] = Patch;
        vision["hidden_size"] = hidden;
        vision["intermediate_size"] = hidden * 4;
        vision["num_hidden_layers"] = layers;
        vision["num_attention_heads"] = Math.Max(1, hidden / 64);
        config["image_grid_pinpoints"] = new JsonArray(new JsonArray(imageSize, imageSize));
        File.WriteAllText(Path.Combine(directory, "config.json"), config.ToJsonString());
        var processor = $$"""
            { "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5], "size": { "height": {{imageSize}}, "width": {{imageSize}} },
              "rescale_factor": 0.00392156862745098, "do_normalize": true, "do_rescale": true, "do_resize": true, "resample": 3 }
            """;
        File.WriteAllText(Path.Combine(directory, "video_preprocessor_config.json"), processor);
        File.WriteAllText(Path.Combine(directory, "preprocessor_config.json"), processor);

        var kept = SafeTensorsWriter.ReadAll(Path.Combine(tinyModel, "model.safetensors"))
            .Where(t => !t.Name.StartsWith("vision_tower.", StringComparison.Ordinal) && !t.Name.StartsWith("multi_modal_projector.linear_1.", StringComparison.Ordinal))
            .ToList();
        var textHidden = (int)kept.Single(t => t.Name == "image_newline").Shape[0];
        var random = new Random(4321);
        var tensors = new List<SafeTensorsWriter.Tensor>(kept);
        void Add(string name, float mean, float std, params long[] shape)
        {
            var values = new float[shape.Aggregate(1L, (a, b) => a * b)];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = mean + (std * (float)((random.NextDouble() * 2) - 1));
            }

            var bytes = new byte[values.Length * sizeof(float)];
            Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
            tensors.Add(new SafeTensorsWriter.Tensor(name, "F32", shape, bytes));
        }

        var grid = imageSize / Patch;
        Add("vision_tower.embeddings.patch_embedding.weight", 0, 0.02f, hidden, 3, Patch, Patch);
        Add("vision_tower.embeddings.patch_embedding.bias", 0, 0.02f, hidden);
        Add("vision_tower.embeddings.position_embedding.weight", 0, 0.02f, grid * grid, hidden);
        for (var l = 0; l < layers; l++)
        {
            var p = $"vision_tower.encoder.layers.{l}.";
            foreach (var norm in new[] { "layer_norm1", "layer_norm2" })
            {
                Add(p + norm + ".weight", 1, 0.1f, hidden);
                Add(p + norm + ".bias", 0, 0.02f, hidden);
            }

            foreach (var projection in new[] { "q_proj", "k_proj", "v_proj", "out_proj" })
            {
                Add(p + $"self_attn.{projection}.weight", 0, 0.05f, hidden, hidden);
                Add(p + $"self_attn.{projection}.bias", 0, 0.02f, hidden);
            }

            Add(p + "mlp.fc1.weight", 0, 0.05f, hidden * 4, hidden);
            Add(p + "mlp.fc1.bias", 0, 0.02f, hidden * 4);
            Add(p + "mlp.fc2.weight", 0, 0.05f, hidden, hidden * 4);
            Add(p + "mlp.fc2.bias", 0, 0.02f, hidden);
        }

        Add("vision_tower.post_layernorm.weight", 1, 0.1f, hidden);
        Add("vision_tower.post_layernorm.bias", 0, 0.02f, hidden);
        Add("multi_modal_projector.linear_1.weight", 0, 0.05f, textHidden, hidden);
        Add("multi_modal_projector.linear_1.bias", 0, 0.02f, textHidden);
        SafeTensorsWriter.Write(Path.Combine(directory, "model.safetensors"), tensors);
        File.WriteAllText(marker, DateTime.UtcNow.ToString("O"));
        return directory;
    }
}
