using System.Collections.Concurrent;
using System.Diagnostics;
using EpdBatch.Model.Sampling;
using EpdBatch.Model.Stages;
using TorchSharp;

namespace EpdBatch.PipelineBench;

/// <summary>
/// The items through the stages called directly in this process, overlapped as the services overlap them but with
/// in-memory queues instead of the broker and Redis: an encoder thread (read + preprocess + encode, batches of 8), a
/// prefill thread (batches of up to 4, a partial batch waits at most 20 ms, as the service's MaxBatchWaitMs) and a
/// decoder thread (continuous batching, 16 slots) — each stage's model calls on its own thread, as in the services.
/// </summary>
internal static class DirectPipelinedRun
{
    public const string Mode = "direct, stages overlapped";
    private static readonly TimeSpan s_maxBatchWait = TimeSpan.FromMilliseconds(20);

    private sealed record Handoff<T>(int Index, T Value, long QueuedAt);

    public static DirectResult Run(int run, BenchData data, TextWriter log)
    {
        var items = data.Items;
        var n = items.Count;
        using var models = new DirectModels(data.ModelPath);
        log.WriteLine($"  {Mode}, run {run} (torch threads {torch.get_num_threads()} per stage thread): models loaded in {models.LoadSeconds:F1} s, running ...");

        var sampling = items.Select(models.Sampling).ToArray();
        var tokens = new List<int>[n];
        var queueMs = new double[3, n];
        var busyMs = new double[3, n];
        var modelMs = new double[3];
        var (encodeBatches, prefillBatches, steps, rows) = (0, 0, 0, 0L);
        using var encoded = new BlockingCollection<Handoff<MultimodalEmbedding>>();
        using var prefilled = new BlockingCollection<Handoff<PrefillResult>>();
        var failures = new ConcurrentQueue<Exception>();

        var cpuStart = DirectModels.CpuSeconds();
        var load = MachineLoad.Start();
        var start = Stopwatch.GetTimestamp();
        double Ms(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;

        var encoderThread = new Thread(() => Guard(failures, () =>
        {
            try
            {
                for (var first = 0; first < n; first += DirectModels.EncoderBatch)
                {
                    var batch = items.Skip(first).Take(DirectModels.EncoderBatch).ToArray();
                    var began = Stopwatch.GetTimestamp();
                    var pixels = batch.Select(i => models.Preprocessor.Preprocess(File.ReadAllBytes(i.LocalPath))).ToArray();
                    var result = models.Encoder.EncodeImages(pixels);
                    var ended = Stopwatch.GetTimestamp();
                    modelMs[0] += Ms(began, ended);
                    encodeBatches++;
                    for (var k = 0; k < batch.Length; k++)
                    {
                        queueMs[0, batch[k].Index] = Ms(start, began);
                        busyMs[0, batch[k].Index] = Ms(began, ended);
                        encoded.Add(new Handoff<MultimodalEmbedding>(batch[k].Index, result[k], ended));
                    }
                }
            }
            finally
            {
                encoded.CompleteAdding();
            }
        })) { Name = "direct-encoder" };

        var prefillThread = new Thread(() => Guard(failures, () =>
        {
            try
            {
                while (encoded.TryTake(out var head, Timeout.Infinite))
                {
                    var batch = new List<Handoff<MultimodalEmbedding>> { head };
                    var deadline = Stopwatch.GetTimestamp() + (long)(s_maxBatchWait.TotalSeconds * Stopwatch.Frequency);
                    while (batch.Count < DirectModels.PrefillBatch)
                    {
                        var left = (int)Math.Ceiling(Ms(Stopwatch.GetTimestamp(), deadline));
                        if (left <= 0 || !encoded.TryTake(out var more, left))
                        {
                            break;
                        }
                        batch.Add(more);
                    }
                    var began = Stopwatch.GetTimestamp();
                    var results = models.Language.Prefill(batch.Select(h => models.Request(items[h.Index], h.Value, sampling[h.Index])).ToArray());
                    var ended = Stopwatch.GetTimestamp();
                    modelMs[1] += Ms(began, ended);
                    prefillBatches++;
                    for (var k = 0; k < batch.Count; k++)
                    {
                        queueMs[1, batch[k].Index] = Ms(batch[k].QueuedAt, began);
                        busyMs[1, batch[k].Index] = Ms(began, ended);
                        prefilled.Add(new Handoff<PrefillResult>(batch[k].Index, results[k], ended));
                    }
                }
            }
            finally
            {
                prefilled.CompleteAdding();
            }
        })) { Name = "direct-prefill" };

        var decoderThread = new Thread(() => Guard(failures, () =>
        {
            using var decode = models.Language.CreateDecodeBatch(DirectModels.DecoderBatch);
            var admitted = new long[n];
            while (true)
            {
                while (decode.HasFreeSlot)
                {
                    Handoff<PrefillResult>? next;
                    if (decode.ActiveCount == 0)
                    {
                        if (!prefilled.TryTake(out next, Timeout.Infinite))
                        {
                            break;
                        }
                    }
                    else if (!prefilled.TryTake(out next))
                    {
                        break;
                    }
                    var began = Stopwatch.GetTimestamp();
                    using var prefill = next.Value;
                    tokens[next.Index] = [prefill.FirstToken];
                    queueMs[2, next.Index] = Ms(next.QueuedAt, began);
                    if (FinishReason.After(prefill.FirstToken, 1, sampling[next.Index]) is null)
                    {
                        decode.Admit(prefill, sampling[next.Index], tag: next.Index);
                        admitted[next.Index] = began;
                    }
                    modelMs[2] += Ms(began, Stopwatch.GetTimestamp());
                }
                if (decode.ActiveCount == 0)
                {
                    if (prefilled.IsCompleted)
                    {
                        break;
                    }
                    continue;
                }
                var stepStart = Stopwatch.GetTimestamp();
                var step = decode.Step();
                var stepEnd = Stopwatch.GetTimestamp();
                modelMs[2] += Ms(stepStart, stepEnd);
                steps++;
                rows += step.Count;
                foreach (var s in step)
                {
                    var index = (int)s.Tag!;
                    tokens[index].Add(s.Token);
                    if (s.FinishReason is not null)
                    {
                        busyMs[2, index] = Ms(admitted[index], stepEnd);
                    }
                }
            }
        })) { Name = "direct-decoder" };

        encoderThread.Start();
        prefillThread.Start();
        decoderThread.Start();
        encoderThread.Join();
        prefillThread.Join();
        decoderThread.Join();
        var wall = Stopwatch.GetElapsedTime(start);
        var machine = load.Stop();
        if (!failures.IsEmpty)
        {
            throw new AggregateException("the direct pipelined run failed", failures);
        }

        var names = new[] { "encoder", "prefill", "decoder" };
        var stages = new Dictionary<string, StageFigures>();
        for (var s = 0; s < names.Length; s++)
        {
            var queue = Enumerable.Range(0, n).Select(i => queueMs[s, i]).ToArray();
            var busy = Enumerable.Range(0, n).Select(i => busyMs[s, i]).ToArray();
            stages[names[s]] = new StageFigures(n, Math.Round(busy.Average(), 1), StageFigures.Percentile(queue, 0.50),
                StageFigures.Percentile(queue, 0.95), Math.Round(modelMs[s], 1), null);
        }
        return new DirectResult(run, Mode, torch.get_num_threads(), models.LoadSeconds, Math.Round(wall.TotalSeconds, 3),
            Math.Round(n / wall.TotalSeconds, 3), stages, encodeBatches, prefillBatches, steps,
            steps == 0 ? 0 : Math.Round((double)rows / steps, 2), Math.Round(DirectModels.CpuSeconds() - cpuStart, 2), machine,
            items.ToDictionary(i => i.CustomId, i => tokens[i.Index].ToArray()));
    }

    private static void Guard(ConcurrentQueue<Exception> failures, Action body)
    {
        try
        {
            body();
        }
        catch (Exception e)
        {
            failures.Enqueue(e);
        }
    }
}
