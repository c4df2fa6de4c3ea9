using EpdBatch.Imaging;
using EpdBatch.Model.Sampling;
using EpdBatch.Model.Stages;
using TorchSharp;

namespace EpdBatch.Model.Tests;

/// <summary>Continuous batching and KV snapshots change nothing in the tokens a sequence gets.</summary>
[TestFixture]
public sealed class DecodeBatchTests
{
    private const string Folder = "llava-tiny-clip-llama";
    private VisionEncoder _encoder = null!;
    private LanguageModel _language = null!;
    private MultimodalEmbedding[] _images = null!;

    [OneTimeSetUp]
    public void Load()
    {
        _encoder = VisionEncoder.Load(TestData.Folder(Folder));
        _language = LanguageModel.Load(TestData.Folder(Folder));
        var cases = TestData.Golden(Folder).GetProperty("cases");
        _images = [.. _encoder.EncodeImages([
            new PixelValues(3, 56, 56, cases[0].GetProperty("pixel_values").Floats()),
            new PixelValues(3, 56, 56, cases[1].GetProperty("pixel_values").Floats()),
        ])];
    }

    [OneTimeTearDown]
    public void Unload()
    {
        _encoder.Dispose();
        _language.Dispose();
    }

    private PrefillRequest Request(int variant, int maxTokens, SamplingParams? sampling = null)
    {
        // Prompts of different lengths, with and without an image.
        int[] prompt = (variant % 4) switch
        {
            0 => [1, 10, 11, 999, 12, 13, 14],
            1 => [1, 11, 999, 12, 13, 15, 16, 17, 18, 19, 20, 21],
            2 => [1, 30, 31, 32],
            _ => [1, 40, 999, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54],
        };
        var media = prompt.Count(id => id == 999) == 1 ? new[] { _images[variant % 2] } : [];
        return new PrefillRequest(prompt, media, (sampling ?? SamplingParams.Greedy(maxTokens)) with { MaxNewTokens = maxTokens });
    }

    private int[] Alone(PrefillRequest request)
    {
        using var prefill = _language.Prefill([request])[0];
        return [.. _language.DecodeToEnd(prefill, request.Sampling).Tokens];
    }

    [Test]
    public void Batched_decode_with_different_lengths_and_joins_equals_decoding_each_alone()
    {
        var requests = Enumerable.Range(0, 8).Select(i => Request(i, 6 + 3 * i)).ToArray();
        var expected = requests.Select(Alone).ToArray();

        // Prefill in one batch (right-padded), then decode with 3 slots: sequences join as others leave.
        var prefills = _language.Prefill(requests);
        var outputs = requests.Select(_ => new List<int>()).ToArray();
        using var batch = _language.CreateDecodeBatch(3);
        var next = 0;
        var steps = 0;
        while (next < requests.Length || batch.ActiveCount > 0)
        {
            while (next < requests.Length && batch.HasFreeSlot)
            {
                outputs[next].Add(prefills[next].FirstToken);
                batch.Admit(prefills[next], requests[next].Sampling, tag: next);
                next++;
            }
            foreach (var step in batch.Step())
            {
                outputs[(int)step.Tag!].Add(step.Token);
            }
            steps++;
        }
        foreach (var p in prefills)
        {
            p.Dispose();
        }
        for (var i = 0; i < requests.Length; i++)
        {
            Assert.That(outputs[i], Is.EqualTo(expected[i]), $"sequence {i}");
        }
        Assert.That(steps, Is.LessThan(expected.Sum(e => e.Length)), "sequences shared steps");
    }

    [Test]
    public void A_snapshot_imported_into_a_fresh_model_continues_exactly()
    {
        var request = Request(0, 24);
        var uninterrupted = Alone(request);

        byte[] bytes;
        int first;
        using (var prefill = _language.Prefill([request])[0])
        {
            bytes = prefill.ExportSnapshot().Bytes.ToArray();
            first = prefill.FirstToken;
        }
        using var fresh = LanguageModel.Load(TestData.Folder(Folder));
        using var batch = fresh.CreateDecodeBatch(4);
        var snapshot = KvSnapshot.FromBytes(bytes);
        Assert.That(snapshot.Length, Is.EqualTo(22));
        batch.Admit(snapshot, first, request.Sampling);
        var tokens = new List<int> { first };
        while (batch.ActiveCount > 0)
        {
            tokens.AddRange(batch.Step().Select(s => s.Token));
        }
        Assert.That(tokens, Is.EqualTo(uninterrupted));
    }

    [Test]
    public void A_snapshot_from_another_model_or_dtype_is_refused()
    {
        using var prefill = _language.Prefill([Request(2, 4)])[0];
        var snapshot = prefill.ExportSnapshot();

        using var other = LanguageModel.Load(TestData.Folder("onevision-tiny-video"));
        using var otherBatch = other.CreateDecodeBatch(1);
        var error = Assert.Throws<InvalidDataException>(() => otherBatch.Admit(snapshot, prefill.FirstToken, SamplingParams.Greedy(4)));
        Assert.That(error!.Message, Does.Contain("made by model"));

        using var half = LanguageModel.Load(TestData.Folder(Folder), new Runtime.RuntimeOptions { DType = "bfloat16" });
        using var halfBatch = half.CreateDecodeBatch(1);
        error = Assert.Throws<InvalidDataException>(() => halfBatch.Admit(snapshot, prefill.FirstToken, SamplingParams.Greedy(4)));
        Assert.That(error!.Message, Does.Contain("float32").And.Contain("bfloat16"));

        var truncated = snapshot.Bytes.ToArray()[..^10];
        Assert.Throws<InvalidDataException>(() => KvSnapshot.FromBytes(truncated));
    }

    [Test]
    public void Two_hundred_decode_steps_leave_the_live_native_tensor_count_unchanged()
    {
        var request = Request(1, 250);
        using var prefill = _language.Prefill([request])[0];
        using var batch = _language.CreateDecodeBatch(2);
        batch.Admit(prefill, request.Sampling);
        batch.Step(); // first step warms lazily created state
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (var i = 0; i < 200; i++)
        {
            Assert.That(batch.Step(), Has.Count.EqualTo(1));
        }
        var after = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Assert.That(after, Is.EqualTo(before), "live native tensors after 200 steps");
    }

    [Test]
    public void Same_seed_same_tokens_and_sampling_differs_from_greedy()
    {
        var sampled = new SamplingParams { Temperature = 1.5f, TopK = 50, TopP = 0.95f, Seed = 42 };
        var a = Alone(Request(0, 20, sampled));
        var b = Alone(Request(0, 20, sampled));
        var c = Alone(Request(0, 20, sampled with { Seed = 7 }));
        var greedy = Alone(Request(0, 20));
        Assert.That(a, Is.EqualTo(b));
        Assert.That(a, Is.Not.EqualTo(c));
        Assert.That(a, Is.Not.EqualTo(greedy));
    }

    [Test]
    public void A_seeded_sequence_samples_the_same_tokens_whatever_batch_it_shares()
    {
        var sampled = new SamplingParams { Temperature = 1.0f, Seed = 1234 };
        var alone = Alone(Request(3, 12, sampled));
        var requests = new[] { Request(0, 30), Request(3, 12, sampled), Request(1, 5, sampled with { Seed = 9 }) };
        var prefills = _language.Prefill(requests);
        using var batch = _language.CreateDecodeBatch(3);
        var tokens = new List<int> { prefills[1].FirstToken };
        for (var i = 0; i < 3; i++)
        {
            batch.Admit(prefills[i], requests[i].Sampling, i);
        }
        while (batch.ActiveCount > 0)
        {
            tokens.AddRange(batch.Step().Where(s => (int)s.Tag! == 1).Select(s => s.Token));
        }
        foreach (var p in prefills)
        {
            p.Dispose();
        }
        Assert.That(tokens, Is.EqualTo(alone));
    }

    [Test]
    public void Top_k_one_is_greedy_and_stop_ids_end_the_sequence()
    {
        var greedy = Alone(Request(1, 16));
        Assert.That(Alone(Request(1, 16, new SamplingParams { Temperature = 2f, TopK = 1, Seed = 3 })), Is.EqualTo(greedy));

        var stopAt = greedy[3];
        var stopped = Alone(Request(1, 16, new SamplingParams { StopTokenIds = [stopAt] }));
        Assert.That(stopped, Is.EqualTo(greedy.TakeWhile(t => t != stopAt).Append(stopAt)));
    }

    [Test]
    public void Prompt_over_the_context_and_bad_sampling_values_are_input_errors()
    {
        var tooLong = Request(0, _language.ContextLength);
        Assert.That(Assert.Throws<ModelInputException>(() => _language.Prefill([tooLong]))!.Code, Is.EqualTo("prompt_too_long"));
        Assert.Throws<ArgumentException>(() => _language.Prefill([Request(0, 4, new SamplingParams { Temperature = -1 })]));
        Assert.Throws<ArgumentException>(() => _language.Prefill([Request(0, 4, new SamplingParams { TopP = 0 })]));
    }
}
