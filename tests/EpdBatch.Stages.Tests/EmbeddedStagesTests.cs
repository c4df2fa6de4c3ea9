using System.Collections.Concurrent;
using EpdBatch.Contracts;
using EpdBatch.Decoder;
using EpdBatch.Encoder;
using EpdBatch.Imaging;
using EpdBatch.Model.Loading;
using EpdBatch.Model.Sampling;
using EpdBatch.Model.Stages;
using EpdBatch.Pipeline;
using EpdBatch.Pipeline.Messaging;
using EpdBatch.Pipeline.Progress;
using EpdBatch.Pipeline.Reliability;
using EpdBatch.Pipeline.Storage;
using EpdBatch.Prefill;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EpdBatch.Stages.Tests;

/// <summary>
/// The three model stages over the in-memory transport and stores: every item ends in exactly one result or one
/// failure, disaggregation (batching across items, continuous decode) changes no token, and an item whose tokens
/// or KV snapshot vanish goes back to the encoder, within a bound.
/// </summary>
[TestFixture]
public sealed class EmbeddedStagesTests
{
    private string _root = null!;
    private string _model = null!;
    private HandoffState? _handoff;
    private readonly List<long> _kvBytes = [];

    [OneTimeSetUp]
    public void CreateModel()
    {
        _root = Path.Combine(Path.GetTempPath(), "epd-stages-" + Guid.NewGuid().ToString("N"));
        _model = Path.Combine(_root, "model");
        DemoModelWriter.Write(_model);
        Directory.CreateDirectory(Path.Combine(_root, "media"));
    }

    [OneTimeTearDown]
    public void Cleanup() => Directory.Delete(_root, recursive: true);

    [Test]
    public async Task Items_through_the_stages_equal_the_single_process_runtime_and_failures_are_reported()
    {
        var items = new List<EncodeItem>();
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < 12; i++)
        {
            var path = Path.Combine(_root, "media", $"img{i}.{(i % 3 == 0 ? "jpg" : "png")}");
            await File.WriteAllBytesAsync(path, i % 3 == 0 ? TestImages.Jpeg(i) : TestImages.Png(i));
            items.Add(new EncodeItem("job1", i, $"c{i}", i % 2 == 0 ? "Describe the image." : "What is shown here?",
                [new MediaReference(MediaKind.Image, path)], new SamplingSettings(MaxTokens: 6 + i % 5), now));
        }
        // The same bytes as item 1: reuses its cached tokens.
        items.Add(items[1] with { ItemIndex = 12, CustomId = "dup" });
        await File.WriteAllTextAsync(Path.Combine(_root, "media", "notes.jpg"), "this is text, not an image");
        await File.WriteAllBytesAsync(Path.Combine(_root, "media", "cut.jpg"), TestImages.Jpeg(99)[..300]);
        items.Add(new EncodeItem("job1", 13, "missing", "x", [new MediaReference(MediaKind.Image, Path.Combine(_root, "media", "nope.png"))], new SamplingSettings(4), now));
        items.Add(new EncodeItem("job1", 14, "text", "x", [new MediaReference(MediaKind.Image, Path.Combine(_root, "media", "notes.jpg"))], new SamplingSettings(4), now));
        items.Add(new EncodeItem("job1", 15, "truncated", "x", [new MediaReference(MediaKind.Image, Path.Combine(_root, "media", "cut.jpg"))], new SamplingSettings(4), now));

        var (results, progress, _) = await RunAsync(items, encoderBatch: 4, decoderBatch: 3);
        Assert.That(progress[PipelineStages.Encoder], Is.EqualTo(13));

        Assert.That(results.Keys, Is.EquivalentTo(Enumerable.Range(0, items.Count)), "every item ends exactly once");
        var failed = results.Values.OfType<ItemFailed>().ToDictionary(f => f.CustomId);
        Assert.That(failed.Keys, Is.EquivalentTo(new[] { "missing", "text", "truncated" }));
        Assert.That(failed["missing"].Code, Is.EqualTo("blob_not_found"));
        Assert.That(failed["text"].Code, Is.EqualTo(MediaException.UnsupportedMediaType));
        Assert.That(failed["truncated"].Code, Is.EqualTo(MediaException.CorruptImage));
        Assert.That(failed.Values.Select(f => f.Stage), Is.All.EqualTo(PipelineStages.Encoder));

        var expected = SingleProcess(items.Take(13).ToList());
        for (var i = 0; i < 13; i++)
        {
            var completed = (ItemCompleted)results[i];
            Assert.That(completed.Tokens, Is.EqualTo(expected[i]), $"item {i}");
            Assert.That(completed.Timings.EncodeBusyMs, Is.Not.Null);
            Assert.That(completed.Timings.PrefillBusyMs, Is.Not.Null);
        }
    }

    [Test]
    public async Task Items_whose_tokens_or_snapshot_vanish_go_back_to_the_encoder_and_end_with_the_same_tokens()
    {
        var items = await ImageItemsAsync("job2", 6);
        // The first attempt of items 0-2 loses its KV snapshot, that of items 3-5 its multimodal tokens.
        var store = new ForgetfulTensorStore(key => key is "kv:job2:0" or "kv:job2:1" or "kv:job2:2" or "mm:job2:3:0" or "mm:job2:4:0" or "mm:job2:5:0");

        var (results, _, counters) = await RunAsync(items, encoderBatch: 2, decoderBatch: 2, store);

        Assert.That(store.Forgotten, Has.Member("kv:job2:2").And.Member("mm:job2:5:0"), "the store lost what the test meant it to");
        Assert.That(results.Values.OfType<ItemFailed>().Select(f => $"{f.ItemIndex}: {f.Code} {f.Message}"), Is.Empty);
        var expected = SingleProcess(items);
        for (var i = 0; i < items.Count; i++)
        {
            Assert.That(((ItemCompleted)results[i]).Tokens, Is.EqualTo(expected[i]), $"item {i}");
        }
        Assert.That(counters.GetValueOrDefault(ReliabilityCounters.Recoveries(PipelineStages.Decoder)), Is.EqualTo(3));
        Assert.That(counters.GetValueOrDefault(ReliabilityCounters.Recoveries(PipelineStages.Prefill)), Is.EqualTo(3));
    }

    [Test]
    public async Task An_item_whose_snapshot_keeps_vanishing_fails_with_intermediate_lost_after_the_configured_recoveries()
    {
        var items = await ImageItemsAsync("job3", 2);
        var store = new ForgetfulTensorStore(key => key.StartsWith("kv:job3:1", StringComparison.Ordinal), always: true);

        var (results, _, counters) = await RunAsync(items, encoderBatch: 2, decoderBatch: 2, store,
            new Dictionary<string, string?> { ["Epd:Reliability:MaxRecoveries"] = "2" });

        Assert.That(results[0], Is.InstanceOf<ItemCompleted>());
        var failed = (ItemFailed)results[1];
        Assert.That((failed.Stage, failed.Code), Is.EqualTo((PipelineStages.Decoder, StageFailure.IntermediateLost)));
        Assert.That(failed.Message, Does.Contain("kv:job3:1.2").And.Contain("run again 2 times").And.Contain("MaxRecoveries"));
        Assert.That(store.Forgotten, Is.EquivalentTo(new[] { "kv:job3:1", "kv:job3:1.1", "kv:job3:1.2" }), "one KV key per attempt");
        Assert.That(counters[ReliabilityCounters.Recoveries(PipelineStages.Decoder)], Is.EqualTo(2));
    }

    [Test]
    public async Task A_prompt_over_the_context_fails_alone_and_not_the_prefill_batch_it_would_have_joined()
    {
        var now = DateTimeOffset.UtcNow;
        var items = new List<EncodeItem>();
        for (var i = 0; i < 4; i++)
        {
            var path = Path.Combine(_root, "media", $"batch{i}.png");
            await File.WriteAllBytesAsync(path, TestImages.Png(20 + i));
            // Item 2's prompt alone is longer than the demo model's context of 1024 positions.
            var prompt = i == 2 ? string.Concat(Enumerable.Repeat("Describe every single detail. ", 60)) : "Caption it.";
            items.Add(new EncodeItem("job4", i, $"b{i}", prompt, [new MediaReference(MediaKind.Image, path)], new SamplingSettings(MaxTokens: 3), now));
        }

        // One encoder batch of four hands prefill four items at once, and prefill waits long enough to batch them all.
        var (results, progress, _) = await RunAsync(items, encoderBatch: 4, decoderBatch: 4,
            settings: new Dictionary<string, string?> { ["Epd:Prefill:MaxBatchWaitMs"] = "5000" });

        Assert.That(progress[PipelineStages.Encoder], Is.EqualTo(4));
        var failed = results.Values.OfType<ItemFailed>().Single();
        Assert.That((failed.CustomId, failed.Stage, failed.Code), Is.EqualTo(("b2", PipelineStages.Prefill, "prompt_too_long")));
        Assert.That(results.Values.OfType<ItemCompleted>().Select(c => c.CustomId), Is.EquivalentTo(new[] { "b0", "b1", "b3" }));
    }

    [Test]
    public async Task A_job_cancelled_while_its_item_decodes_takes_the_item_out_of_the_batch_and_reports_it_cancelled()
    {
        const int maxTokens = 900;
        var items = (await ImageItemsAsync("job-cancel-decode", 1)).Select(i => i with { Sampling = new SamplingSettings(MaxTokens: maxTokens) }).ToList();
        Assert.That(SingleProcess(items)[0], Has.Length.EqualTo(maxTokens), "precondition: alone, the item decodes all its tokens (the demo model never stops it early)");

        long stepsAtCancel = 0;
        DecodeLoop? loop = null;
        var settings = new Dictionary<string, string?> { ["Epd:Decoder:CancelCheckInterval"] = "00:00:00.050" };
        var (results, progress, _) = await RunAsync(items, encoderBatch: 1, decoderBatch: 4, settings: settings, whileRunning: async services =>
        {
            loop = services.GetRequiredService<DecodeLoop>();
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            while (loop.SequenceSteps < 5 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }
            stepsAtCancel = loop.SequenceSteps;
            await services.GetRequiredService<IJobCancellation>().MarkCancelledAsync("job-cancel-decode", TimeSpan.FromMinutes(5), CancellationToken.None);
        });

        Assert.That(stepsAtCancel, Is.GreaterThanOrEqualTo(5), "the item was decoding when its job was cancelled");
        var failed = (ItemFailed)results[0];
        Assert.That((failed.Stage, failed.Code), Is.EqualTo((PipelineStages.Decoder, IJobCancellation.CancelledCode)), failed.Message);
        // Checked every 50 ms here: the item leaves within a few steps, far short of its 900 tokens. Without the
        // check it decoded all of them, then completed.
        Assert.That(loop!.SequenceSteps, Is.LessThan(maxTokens - 1), "the sequence left the batch before its end");
        Assert.That(loop.Abandoned, Is.EqualTo(1));
        Assert.That(progress.GetValueOrDefault(PipelineStages.Decoder), Is.Zero, "a cancelled item does not count as decoded");
    }

    [Test]
    public async Task With_the_device_hand_off_items_give_the_single_process_tokens_and_the_same_as_without_it()
    {
        var items = await ImageItemsAsync("job-handoff", 6);
        var expected = SingleProcess(items);
        var decoding = expected.Count(t => t.Length > 1);
        Assert.That(decoding, Is.Positive, "precondition: some items go on past their first token");

        var (onDevice, _, _) = await RunAsync(items, encoderBatch: 2, decoderBatch: 2);
        var on = _handoff!;
        var (onHost, _, _) = await RunAsync(items, encoderBatch: 2, decoderBatch: 2,
            settings: new Dictionary<string, string?> { ["Epd:Decoder:DeviceHandoff"] = "false" });
        var off = _handoff!;

        Assert.That((on.Enabled, on.HandedOff, on.BudgetFallbacks, on.ModelMismatches), Is.EqualTo((true, (long)decoding, 0L, 0L)),
            "on by default in one process over the in-process store: every item that decodes takes the device path");
        Assert.That((off.Enabled, off.HandedOff), Is.EqualTo((false, 0L)));
        for (var i = 0; i < items.Count; i++)
        {
            Assert.That(((ItemCompleted)onDevice[i]).Tokens, Is.EqualTo(expected[i]), $"item {i}, device hand-off");
            Assert.That(((ItemCompleted)onHost[i]).Tokens, Is.EqualTo(expected[i]), $"item {i}, host snapshots");
        }
    }

    [Test]
    public async Task Items_over_the_device_hand_off_budget_take_the_host_path_and_decode_the_same()
    {
        var items = await ImageItemsAsync("job-budget", 4);
        var expected = SingleProcess(items);
        var decoding = expected.Count(t => t.Length > 1);
        Assert.That(decoding, Is.GreaterThanOrEqualTo(2), "precondition: at least two items decode");
        // Room for one item's cache, not two; one prefill batch of all four makes them at once.
        var budget = _kvBytes.Max() * 3 / 2;

        var (results, _, _) = await RunAsync(items, encoderBatch: 4, decoderBatch: 4, settings: new Dictionary<string, string?>
        {
            ["Epd:Decoder:DeviceHandoffMaxBytes"] = budget.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Epd:Prefill:MaxBatchWaitMs"] = "5000",
        });

        var state = _handoff!;
        Assert.That(state.MaxBytes, Is.EqualTo(budget));
        Assert.That(state.HandedOff, Is.GreaterThanOrEqualTo(1), "what fits goes on the device");
        Assert.That(state.BudgetFallbacks, Is.GreaterThanOrEqualTo(1), "what does not fit takes the host path");
        Assert.That(state.HandedOff + state.BudgetFallbacks, Is.EqualTo(decoding));
        Assert.That(state.PeakBytes, Is.Positive.And.LessThanOrEqualTo(budget), "the budget is never passed");
        for (var i = 0; i < items.Count; i++)
        {
            Assert.That(((ItemCompleted)results[i]).Tokens, Is.EqualTo(expected[i]), $"item {i}");
        }
    }

    [Test]
    public async Task Device_caches_of_a_cancelled_job_are_freed_whether_their_items_wait_or_decode()
    {
        var items = (await ImageItemsAsync("job-handoff-cancel", 4)).Select(i => i with { Sampling = new SamplingSettings(MaxTokens: 900) }).ToList();
        DeviceKvHandoff? handoff = null;
        var waitingAtCancel = 0;
        // One decode slot and one decode message at a time: while one item decodes, the others' caches wait in the hand-off.
        var settings = new Dictionary<string, string?>
        {
            ["Epd:Decoder:CancelCheckInterval"] = "00:00:00.050",
            ["Epd:Prefill:MaxBatchWaitMs"] = "5000",
        };
        var (results, _, _) = await RunAsync(items, encoderBatch: 4, decoderBatch: 1, settings: settings, whileRunning: async services =>
        {
            handoff = services.GetRequiredService<DeviceKvHandoff>();
            var loop = services.GetRequiredService<DecodeLoop>();
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            while ((loop.SequenceSteps < 5 || handoff.Count == 0) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }
            waitingAtCancel = handoff.Count;
            await services.GetRequiredService<IJobCancellation>().MarkCancelledAsync("job-handoff-cancel", TimeSpan.FromMinutes(5), CancellationToken.None);
        });

        Assert.That(waitingAtCancel, Is.Positive, "caches waited in the hand-off when the job was cancelled");
        var cancelled = results.Values.OfType<ItemFailed>().Where(f => f.Code == IJobCancellation.CancelledCode).ToList();
        Assert.That(cancelled, Has.Count.GreaterThanOrEqualTo(waitingAtCancel), "the waiting items are reported cancelled");
        Assert.That(_handoff!.Discarded, Is.GreaterThanOrEqualTo(waitingAtCancel), "their caches were freed untaken");
        // RunAsync checked that no entry and no byte of the budget is left.
    }

    [Test]
    public async Task A_decoder_on_another_model_does_not_continue_a_device_cache_and_ends_the_item_as_it_would_from_a_snapshot()
    {
        var other = Path.Combine(_root, "other-model");
        if (!Directory.Exists(other))
        {
            // The same weights under another fingerprint (it hashes config.json): a model this decoder must refuse.
            Directory.CreateDirectory(other);
            foreach (var file in Directory.GetFiles(_model))
            {
                File.Copy(file, Path.Combine(other, Path.GetFileName(file)));
            }
            await File.AppendAllTextAsync(Path.Combine(other, "config.json"), "\n");
        }
        var items = await ImageItemsAsync("job-mismatch", 2);
        var decoding = SingleProcess(items).Count(t => t.Length > 1);
        Assert.That(decoding, Is.Positive, "precondition: some items go on past their first token");

        var (onDevice, _, _) = await RunAsync(items, encoderBatch: 2, decoderBatch: 2,
            settings: new Dictionary<string, string?> { ["Epd:Decoder:ModelPath"] = other });
        var on = _handoff!;
        var (onHost, _, _) = await RunAsync(items, encoderBatch: 2, decoderBatch: 2,
            settings: new Dictionary<string, string?> { ["Epd:Decoder:ModelPath"] = other, ["Epd:Decoder:DeviceHandoff"] = "false" });

        Assert.That((on.HandedOff, on.ModelMismatches), Is.EqualTo(((long)decoding, (long)decoding)), "every cache was refused on the device");
        var failedOn = onDevice.Values.OfType<ItemFailed>().Select(f => (f.ItemIndex, f.Stage, f.Code, f.Message)).OrderBy(f => f.ItemIndex).ToList();
        var failedOff = onHost.Values.OfType<ItemFailed>().Select(f => (f.ItemIndex, f.Stage, f.Code, f.Message)).OrderBy(f => f.ItemIndex).ToList();
        Assert.That(failedOn, Has.Count.EqualTo(decoding));
        Assert.That(failedOn, Is.EqualTo(failedOff), "the same failure as from a host snapshot");
        Assert.That(failedOn.Select(f => f.Message), Has.All.Contain("KV snapshot was made by model"));
    }

    private sealed record HandoffState(bool Enabled, long MaxBytes, long HandedOff, long BudgetFallbacks, long ModelMismatches, long Discarded, long PeakBytes);

    private async Task<List<EncodeItem>> ImageItemsAsync(string jobId, int count)
    {
        var items = new List<EncodeItem>();
        for (var i = 0; i < count; i++)
        {
            var path = Path.Combine(_root, "media", $"{jobId}-{i}.png");
            await File.WriteAllBytesAsync(path, TestImages.Png(i + 40));
            items.Add(new EncodeItem(jobId, i, $"c{i}", "Describe the image.", [new MediaReference(MediaKind.Image, path)], new SamplingSettings(MaxTokens: 5), DateTimeOffset.UtcNow));
        }
        return items;
    }

    private List<int[]> SingleProcess(List<EncodeItem> items)
    {
        using var encoder = VisionEncoder.Load(_model);
        using var language = LanguageModel.Load(_model);
        var preprocessor = new ImagePreprocessor(ImageProcessorConfig.FromFolder(_model));
        var prompts = new PromptEncoder(language.Config, language.Tokenizer!);
        var outputs = new List<int[]>();
        _kvBytes.Clear();
        foreach (var item in items)
        {
            var media = encoder.EncodeImages([preprocessor.Preprocess(File.ReadAllBytes(item.Media[0].Uri))]);
            var sampling = SamplingMapper.ToRuntime(item.Sampling, item.JobId, item.ItemIndex, language.DefaultStopTokenIds);
            using var prefill = language.Prefill([new PrefillRequest(prompts.Encode(item.Prompt, 1, 0), media, sampling)])[0];
            _kvBytes.Add(prefill.KvBytes);
            var tokens = language.DecodeToEnd(prefill, sampling).Tokens;
            outputs.Add([.. tokens]);
        }
        return outputs;
    }

    private async Task<(IReadOnlyDictionary<int, object> Results, IReadOnlyDictionary<string, long> Progress, IReadOnlyDictionary<string, long> Counters)> RunAsync(
        IReadOnlyList<EncodeItem> items, int encoderBatch, int decoderBatch, ITensorStore? tensors = null, IReadOnlyDictionary<string, string?>? settings = null,
        Func<IServiceProvider, Task>? whileRunning = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Epd:Encoder:MaxBatchSize"] = encoderBatch.ToString(),
            ["Epd:Decoder:MaxBatchSize"] = decoderBatch.ToString(),
            ["Epd:Prefill:MaxBatchSize"] = "4",
            ["Epd:Storage:LocalRoot"] = _root,
        });
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        var connections = new EpdConnectionOptions { Model = _model };
        builder.Configuration[EpdConnectionOptions.ModelVariable] = _model;
        var collector = new ResultCollector(items.Count);
        builder.Services.AddSingleton(collector);
        if (tensors is not null)
        {
            builder.Services.AddSingleton(tensors);
        }
        builder.Services.AddEpdStorage(connections);
        builder.Services.AddEpdStageProgress(connections);
        builder.Services.AddEncoderStage(builder.Configuration);
        builder.Services.AddPrefillStage(builder.Configuration);
        builder.Services.AddDecoderStage(builder.Configuration);
        builder.Services.AddEpdMessaging(connections, bus =>
        {
            EncoderServiceCollectionExtensions.AddEncoderConsumers(bus);
            PrefillServiceCollectionExtensions.AddPrefillConsumers(bus);
            DecoderServiceCollectionExtensions.AddDecoderConsumers(bus);
            bus.AddConsumer<ResultCollectorConsumer>();
        });
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var bus = host.Services.GetRequiredService<IBus>();
            foreach (var item in items)
            {
                await bus.Publish(item);
            }
            if (whileRunning is not null)
            {
                await whileRunning(host.Services);
            }
            await collector.Done.WaitAsync(TimeSpan.FromMinutes(3));
            var jobId = items[0].JobId;
            var store = host.Services.GetRequiredService<ITensorStore>();
            // A stage deletes what it consumed just after it publishes, so the last deletes may trail the last result.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (await store.CountKeysAsync(StoreKeys.MultimodalPattern(jobId), CancellationToken.None) + await store.CountKeysAsync(StoreKeys.KvPattern(jobId), CancellationToken.None) > 0
                   && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
            Assert.That(await store.CountKeysAsync(StoreKeys.MultimodalPattern(jobId), CancellationToken.None), Is.Zero, "no token entries left");
            Assert.That(await store.CountKeysAsync(StoreKeys.KvPattern(jobId), CancellationToken.None), Is.Zero, "no KV entries left");
            var handoff = host.Services.GetRequiredService<DeviceKvHandoff>();
            while ((handoff.Count > 0 || handoff.BytesHeld > 0) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
            Assert.That(handoff.Count, Is.Zero, "no device hand-off entries left");
            Assert.That(handoff.BytesHeld, Is.Zero, "every device cache freed");
            _handoff = new HandoffState(handoff.Enabled, handoff.MaxBytes, handoff.HandedOff, handoff.BudgetFallbacks, handoff.ModelMismatches, handoff.Discarded, handoff.PeakBytes);
            var progress = await host.Services.GetRequiredService<IStageProgress>().GetAsync(jobId, CancellationToken.None);
            var counters = await host.Services.GetRequiredService<IDeliveryLedger>().GetCountersAsync(jobId, CancellationToken.None);
            return (collector.Results, progress, counters);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    internal sealed class ResultCollector(int expected)
    {
        private readonly ConcurrentDictionary<int, object> _results = new();
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyDictionary<int, object> Results => _results;

        public Task Done => _done.Task;

        public void Add(int index, object result)
        {
            if (!_results.TryAdd(index, result))
            {
                _done.TrySetException(new AssertionException($"item {index} ended twice"));
            }
            if (_results.Count == expected)
            {
                _done.TrySetResult();
            }
        }
    }

    internal sealed class ResultCollectorConsumer(ResultCollector collector) : IConsumer<ItemCompleted>, IConsumer<ItemFailed>
    {
        public Task Consume(ConsumeContext<ItemCompleted> context)
        {
            collector.Add(context.Message.ItemIndex, context.Message);
            return Task.CompletedTask;
        }

        public Task Consume(ConsumeContext<ItemFailed> context)
        {
            collector.Add(context.Message.ItemIndex, context.Message);
            return Task.CompletedTask;
        }
    }
}
