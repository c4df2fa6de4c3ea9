using EpdBatch.Imaging;
using EpdBatch.Model.Loading;
using EpdBatch.Model.Sampling;
using EpdBatch.Model.Stages;

namespace EpdBatch.Model.Tests;

/// <summary>Every published tensor-name scheme and the sharded layout load to the same model.</summary>
[TestFixture]
public sealed class CheckpointLoadingTests
{
    private const string Folder = "llava-tiny-clip-llama";

    private static readonly Dictionary<string, Func<string, string>> s_schemes = new()
    {
        // What transformers 5.x saved in shared/testdata.
        ["transformers5"] = name => name,
        // Published llava-hf checkpoints.
        ["llava-hf"] = name => name.StartsWith("vision_tower.", StringComparison.Ordinal)
            ? "vision_tower.vision_model." + name["vision_tower.".Length..]
            : name,
        // transformers ≥ 4.52 in memory, found in some files.
        ["model-prefixed"] = name => name switch
        {
            _ when name.StartsWith("vision_tower.", StringComparison.Ordinal) => "model.vision_tower.vision_model." + name["vision_tower.".Length..],
            _ when name.StartsWith("multi_modal_projector.", StringComparison.Ordinal) => "model." + name,
            _ when name.StartsWith("language_model.model.", StringComparison.Ordinal) => "model.language_model." + name["language_model.model.".Length..],
            _ when name.StartsWith("language_model.lm_head.", StringComparison.Ordinal) => name["language_model.".Length..],
            _ => name,
        },
    };

    [TestCase("transformers5")]
    [TestCase("llava-hf")]
    [TestCase("model-prefixed")]
    public void Each_name_scheme_loads_and_reproduces_the_reference(string scheme)
    {
        var dir = TestData.CopyToTemp(Folder);
        var tensors = SafeTensorsWriter.ReadAll(Path.Combine(dir, "model.safetensors"));
        SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"), tensors.Select(t => t with { Name = s_schemes[scheme](t.Name) }));
        AssertReproducesReference(dir);
    }

    [Test]
    public void A_sharded_index_loads_and_reproduces_the_reference()
    {
        var dir = TestData.CopyToTemp(Folder);
        var single = Path.Combine(dir, "model.safetensors");
        var tensors = SafeTensorsWriter.ReadAll(single);
        File.Delete(single);
        SafeTensorsWriter.WriteSharded(dir, tensors, shards: 3);
        Assert.That(Directory.GetFiles(dir, "model-*.safetensors"), Has.Length.EqualTo(3));
        AssertReproducesReference(dir);
    }

    [Test]
    public void A_missing_tensor_is_named_in_the_error()
    {
        var dir = TestData.CopyToTemp(Folder);
        var tensors = SafeTensorsWriter.ReadAll(Path.Combine(dir, "model.safetensors"));
        SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"), tensors.Where(t => t.Name != "language_model.model.layers.1.mlp.up_proj.weight"));
        var error = Assert.Throws<ModelFormatException>(() => LanguageModel.Load(dir).Dispose());
        Assert.That(error!.Message, Does.Contain("text.layers.1.mlp.up_proj.weight").And.Contain("missing"));
    }

    [Test]
    public void A_misshaped_tensor_is_named_in_the_error()
    {
        var dir = TestData.CopyToTemp(Folder);
        var tensors = SafeTensorsWriter.ReadAll(Path.Combine(dir, "model.safetensors"));
        SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"), tensors.Select(t => t.Name == "multi_modal_projector.linear_2.weight"
            ? t with { Shape = [32, 128] }
            : t));
        var error = Assert.Throws<ModelFormatException>(() => VisionEncoder.Load(dir).Dispose());
        Assert.That(error!.Message, Does.Contain("projector.linear_2.weight").And.Contain("[32,128]"));
    }

    [Test]
    public void Without_lm_head_the_head_is_tied_to_the_embeddings()
    {
        var dir = TestData.CopyToTemp(Folder);
        var tensors = SafeTensorsWriter.ReadAll(Path.Combine(dir, "model.safetensors"));
        var embeddings = tensors.Single(t => t.Name == "language_model.model.embed_tokens.weight");
        SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"), tensors.Where(t => t.Name != "language_model.lm_head.weight"));
        using var model = LanguageModel.Load(dir);
        using var prefill = model.Prefill([new PrefillRequest([1, 10, 11, 12], [], SamplingParams.Greedy(2))])[0];
        Assert.That(prefill.LastLogits, Has.Length.EqualTo(embeddings.Shape[0]));
    }

    [Test]
    public void Unused_tensors_are_skipped_and_encoder_workers_never_load_the_language_model()
    {
        var dir = TestData.CopyToTemp(Folder);
        var tensors = SafeTensorsWriter.ReadAll(Path.Combine(dir, "model.safetensors")).ToList();
        tensors.Add(new SafeTensorsWriter.Tensor("language_model.model.rotary_emb.inv_freq", "F32", [8], new byte[32]));
        tensors.Add(new SafeTensorsWriter.Tensor("vision_tower.embeddings.position_ids", "I64", [1, 17], new byte[17 * 8]));
        // The encoder never reads text weights: a broken one must not stop it.
        SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"), tensors.Where(t => !t.Name.StartsWith("language_model.model.layers.2.", StringComparison.Ordinal)));
        using var encoder = VisionEncoder.Load(dir);
        Assert.That(encoder.TokensPerImage, Is.EqualTo(16));
    }

    private static void AssertReproducesReference(string dir)
    {
        var golden = TestData.Golden(Folder).GetProperty("cases")[0];
        using var encoder = VisionEncoder.Load(dir);
        using var language = LanguageModel.Load(dir);
        var media = encoder.EncodeImages([new PixelValues(3, 56, 56, golden.GetProperty("pixel_values").Floats())]);
        GoldenLlavaTests.AssertClose(media[0].ToFloatArray(), golden.GetProperty("image_features").Floats(), 1e-4, "image features");
        var greedy = SamplingParams.Greedy(24);
        using var prefill = language.Prefill([new PrefillRequest(golden.GetProperty("prompt_ids").Ints(), media, greedy)])[0];
        Assert.That(language.DecodeToEnd(prefill, greedy).Tokens, Is.EqualTo(golden.GetProperty("greedy_new_tokens").Ints()));
    }
}
