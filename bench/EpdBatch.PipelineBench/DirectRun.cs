using System.Diagnostics;
using EpdBatch.Model.Stages;
using TorchSharp;

namespace EpdBatch.PipelineBench;

/// <summary>
/// The items through the stages called one after the other in this process: read + preprocess and encode in
/// batches of 8, then prefill in batches of 4, then one continuous-batching decode loop of 16 slots fed in item
/// order. No broker, no Redis, no blob store (images come from local files), no overlap between stages.
/// </summary>
internal static class DirectRun
{
    public const string Mode = "direct, stages in sequence";

    public static DirectResult Run(int run, BenchData data, TextWriter log)
    {
        var items = data.Items;
        using var models = new DirectModels(data.ModelPath);
        log.WriteLine($"  {Mode}, run {run} (torch threads {torch.get_num_threads()}): models loaded in {models.LoadSeconds:F1} s, running ...");

        var cpuStart = DirectModels.CpuSeconds();
        var load = MachineLoad.Start();
        var wall = Stopwatch.StartNew();
        var stage = new Stopwatch();
        var (preprocessMs, encodeMs, prefillMs, decodeMs) = (0.0, 0.0, 0.0, 0.0);
        var (preprocessCpu, encodeCpu, prefillCpu, decodeCpu) = (0.0, 0.0, 0.0, 0.0);

        var embeddings = new MultimodalEmbedding[items.Count];
        var encodeBatches = 0;
        for (var start = 0; start < items.Count; start += DirectModels.EncoderBatch)
        {
            var batch = items.Skip(start).Take(DirectModels.EncoderBatch).ToArray();
            var cpu = DirectModels.CpuSeconds();
            stage.Restart();
            var pixels = batch.Select(i => models.Preprocessor.Preprocess(File.ReadAllBytes(i.LocalPath))).ToArray();
            preprocessMs += stage.Elapsed.TotalMilliseconds;
            var cpuMid = DirectModels.CpuSeconds();
            preprocessCpu += cpuMid - cpu;
            stage.Restart();
            var encoded = models.Encoder.EncodeImages(pixels);
            encodeMs += stage.Elapsed.TotalMilliseconds;
            encodeCpu += DirectModels.CpuSeconds() - cpuMid;
            encodeBatches++;
            for (var k = 0; k < batch.Length; k++)
            {
                embeddings[start + k] = encoded[k];
            }
        }

        var sampling = items.Select(models.Sampling).ToArray();
        var prefilled = new PrefillResult[items.Count];
        var prefillBatches = 0;
        for (var start = 0; start < items.Count; start += DirectModels.PrefillBatch)
        {
            var batch = items.Skip(start).Take(DirectModels.PrefillBatch).ToArray();
            var cpu = DirectModels.CpuSeconds();
            stage.Restart();
            var results = models.Language.Prefill(batch.Select(i => models.Request(i, embeddings[i.Index], sampling[i.Index])).ToArray());
            prefillMs += stage.Elapsed.TotalMilliseconds;
            prefillCpu += DirectModels.CpuSeconds() - cpu;
            prefillBatches++;
            for (var k = 0; k < batch.Length; k++)
            {
                prefilled[start + k] = results[k];
                embeddings[start + k] = null!;
            }
        }

        var tokens = items.Select(i => new List<int> { prefilled[i.Index].FirstToken }).ToArray();
        var (steps, rows) = (0, 0L);
        var decodeCpuStart = DirectModels.CpuSeconds();
        stage.Restart();
        using (var decode = models.Language.CreateDecodeBatch(DirectModels.DecoderBatch))
        {
            var next = 0;
            while (next < items.Count || decode.ActiveCount > 0)
            {
                while (next < items.Count && decode.HasFreeSlot)
                {
                    var index = next++;
                    using var prefill = prefilled[index];
                    prefilled[index] = null!;
                    if (FinishReason.After(prefill.FirstToken, 1, sampling[index]) is null)
                    {
                        decode.Admit(prefill, sampling[index], tag: index);
                    }
                }
                if (decode.ActiveCount == 0)
                {
                    continue;
                }
                var step = decode.Step();
                steps++;
                rows += step.Count;
                foreach (var s in step)
                {
                    tokens[(int)s.Tag!].Add(s.Token);
                }
            }
        }
        decodeMs = stage.Elapsed.TotalMilliseconds;
        decodeCpu = DirectModels.CpuSeconds() - decodeCpuStart;
        wall.Stop();
        var machine = load.Stop();

        var n = items.Count;
        var stages = new Dictionary<string, StageFigures>
        {
            ["preprocess"] = new(n, null, null, null, Math.Round(preprocessMs, 1), Math.Round(preprocessCpu, 2)),
            ["encoder"] = new(n, null, null, null, Math.Round(encodeMs, 1), Math.Round(encodeCpu, 2)),
            ["prefill"] = new(n, null, null, null, Math.Round(prefillMs, 1), Math.Round(prefillCpu, 2)),
            ["decoder"] = new(n, null, null, null, Math.Round(decodeMs, 1), Math.Round(decodeCpu, 2)),
        };
        return new DirectResult(run, Mode, torch.get_num_threads(), models.LoadSeconds, Math.Round(wall.Elapsed.TotalSeconds, 3),
            Math.Round(n / wall.Elapsed.TotalSeconds, 3), stages, encodeBatches, prefillBatches, steps,
            steps == 0 ? 0 : Math.Round((double)rows / steps, 2), Math.Round(DirectModels.CpuSeconds() - cpuStart, 2), machine,
            items.ToDictionary(i => i.CustomId, i => tokens[i.Index].ToArray()));
    }
}
