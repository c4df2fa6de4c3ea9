using System.Diagnostics;
using System.Runtime.InteropServices;
using EpdBatch.Imaging;
using EpdBatch.Model.Modules;
using EpdBatch.Model.Sampling;
using EpdBatch.Model.Stages;
using static TorchSharp.torch;

namespace EpdBatch.Model.Tests;

/// <summary>
/// Regression for a CI crash (c10::Error from toFloat, c10/core/Scalar.h) inside a plain tensor <c>+</c> in
/// DecoderLayer.Prefill. TorchSharp 0.107 turns a .NET number into a temporary Scalar that only a finalizer frees, and
/// nothing keeps it alive while libtorch reads it (<c>Tensor.add(Tensor)</c> makes one itself, for alpha = 1). These
/// tests run the model while another thread collects and finalizes in a loop, and require every output to stay
/// bit-identical to a run made before, with no exception. They rely on this project running without tiered compilation
/// (see the project file): unoptimised code keeps such temporaries alive to the end of the method.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class GcPressureTests
{
    private const string Folder = "llava-tiny-clip-llama";
    private const int MaxIterations = 1000;
    private static readonly TimeSpan s_budget = TimeSpan.FromSeconds(1);

    private VisionEncoder _encoder = null!;
    private LanguageModel _language = null!;
    private PixelValues[] _pixels = null!;

    [OneTimeSetUp]
    public void Load()
    {
        _encoder = VisionEncoder.Load(TestData.Folder(Folder));
        _language = LanguageModel.Load(TestData.Folder(Folder));
        var cases = TestData.Golden(Folder).GetProperty("cases");
        _pixels = [.. Enumerable.Range(0, 2).Select(i => new PixelValues(3, 56, 56, cases[i].GetProperty("pixel_values").Floats()))];
    }

    [OneTimeTearDown]
    public void Unload()
    {
        _encoder.Dispose();
        _language.Dispose();
    }

    [Test]
    public void Rotary_sum_is_bit_identical_while_finalizers_run_during_long_native_calls()
    {
        // cos in float64 and sin in float32 make libtorch convert one operand of the final sum before it reads the
        // sum's alpha, so every call spends milliseconds in native code after TorchSharp has let go of its temporaries:
        // the race that crashed one CI run in four then shows within the first iterations.
        using var x = Random([1, 8, 2048, 64], seed: 4);
        using var cos32 = Random([2048, 64], seed: 5);
        using var cos = cos32.to(ScalarType.Float64);
        using var sin = Random([2048, 64], seed: 6);
        RepeatUnderGcPressure(() =>
        {
            using var scope = NewDisposeScope();
            return Bits(RotaryEmbedding.Apply(x, cos, sin).to(ScalarType.Float32));
        });
    }

    [Test]
    public void Model_building_blocks_are_bit_identical_while_finalizers_run()
    {
        // Small inputs, so that many native calls run per second: the decoder layer whose residual + crashed in CI,
        // RMSNorm (pow, + eps), rotary tables and embeddings, quick_gelu (x * 1.702) and the sampler (masked_fill,
        // clamp_max, arange).
        var root = _language.Root;
        var layer = root.Text.Layers[0];
        var text = _language.Config.Text;
        var t = 5L;
        var quickGelu = Activations.Get("quick_gelu");
        SamplingParams?[] rows = [new SamplingParams { Temperature = 0.8f, TopK = 50, TopP = 0.9f, Seed = 7 }, null];
        using var x = Random([1, t, text.HiddenSize], seed: 1);
        using var logits = Random([2, text.VocabSize], seed: 2);
        using var q = Random([1, text.NumAttentionHeads, t, text.HeadDim], seed: 3);
        using var cos = _language.Rope.Cos.narrow(0, 0, t);
        using var sin = _language.Rope.Sin.narrow(0, 0, t);
        using var causal = ones([t, t], ScalarType.Bool).tril();
        using var mask = causal.repeat(layer.Attention.Repeats, 1).view(1, 1, layer.Attention.Repeats * t, t);
        RepeatUnderGcPressure(() =>
        {
            using var inference = inference_mode();
            using var scope = NewDisposeScope();
            using var rope = new RotaryEmbedding(text.HeadDim, 64, text.RopeTheta, ScalarType.Float32, CPU);
            var decoded = layer.Prefill(x, cos, sin, mask, out var keys, out _);
            return [
                .. Bits(decoded), .. Bits(keys), .. Bits(root.Text.Norm.Forward(x)), .. Bits(RotaryEmbedding.Apply(q, cos, sin)),
                .. Bits(rope.Cos), .. Bits(rope.Sin), .. Bits(quickGelu(x)), .. Sampler.Sample(logits, rows, [3, 0], 0).Select(id => (int)id),
            ];
        });
    }

    [Test]
    public void Encode_prefill_and_decode_are_bit_identical_while_finalizers_run()
    {
        // One greedy sequence with an image and one sampled sequence without, which joins the decode batch through
        // a KV snapshot (tensor code outside a dispose scope).
        var sampled = new SamplingParams { MaxNewTokens = 6, Temperature = 0.8f, TopK = 50, TopP = 0.9f, Seed = 7 };
        RepeatUnderGcPressure(() =>
        {
            var media = _encoder.EncodeImages(_pixels);
            PrefillRequest[] requests =
            [
                new([1, 10, 11, 999, 12, 13, 14], [media[0]], SamplingParams.Greedy(6)),
                new([1, 30, 31, 32], [], sampled),
            ];
            var outcome = media.SelectMany(m => Bits(m.ToFloatArray())).ToList();
            var prefilled = _language.Prefill(requests);
            using var batch = _language.CreateDecodeBatch(requests.Length, 32);
            for (var i = 0; i < prefilled.Count; i++)
            {
                using var prefill = prefilled[i];
                outcome.AddRange(Bits(prefill.LastLogits));
                outcome.Add(prefill.FirstToken);
                if (i == 0)
                {
                    batch.Admit(prefill, requests[i].Sampling);
                }
                else
                {
                    batch.Admit(prefill.ExportSnapshot(), prefill.FirstToken, requests[i].Sampling);
                }
            }
            while (batch.ActiveCount > 0)
            {
                outcome.AddRange(batch.Step().Select(s => s.Token));
            }
            return [.. outcome];
        });
    }

    /// <summary>Runs <paramref name="run"/> once for a reference, then again and again under GC pressure, for a bounded time.</summary>
    private static void RepeatUnderGcPressure(Func<int[]> run)
    {
        var reference = run();
        var clock = Stopwatch.StartNew();
        var iterations = 0;
        using var pressure = new GcPressure();
        while (iterations < MaxIterations && clock.Elapsed < s_budget)
        {
            int[] outcome;
            try
            {
                outcome = run();
            }
            catch (ExternalException e)
            {
                Assert.Fail($"iteration {iterations}: {e.Message.Split('\n')[0]}");
                return;
            }
            Assert.That(outcome.AsSpan().SequenceEqual(reference), $"iteration {iterations}: the output differs from the reference run");
            iterations++;
        }
        Assert.That(pressure.Collections, Is.GreaterThan(0), "no collection ran during the test");
        TestContext.Out.WriteLine($"{iterations} iterations, {pressure.Collections} collections in {clock.Elapsed.TotalSeconds:F1} s");
    }

    private static int[] Bits(float[] values) => MemoryMarshal.Cast<float, int>(values).ToArray();

    private static int[] Bits(Tensor values) => Bits(values.contiguous().data<float>().ToArray());

    /// <summary>Uniform values in [-1, 1) from a seeded generator, so every run gets the same input.</summary>
    private static Tensor Random(long[] shape, int seed)
    {
        var random = new Random(seed);
        var values = new float[shape.Aggregate(1L, (a, b) => a * b)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)(random.NextDouble() * 2 - 1);
        }
        return tensor(values, shape);
    }
}
