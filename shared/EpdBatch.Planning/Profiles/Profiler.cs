using EpdBatch.Imaging;
using EpdBatch.Model.Config;
using EpdBatch.Model.Loading;
using EpdBatch.Model.Runtime;
using EpdBatch.Model.Sampling;
using EpdBatch.Model.Stages;

namespace EpdBatch.Planning.Profiles;

/// <summary>
/// Measures each stage's cost on the current device with the real model runtime: encoder forwards by images per
/// batch, prefill forwards by batch × prompt length, decode steps by active sequences × context, and hand-offs
/// through an <see cref="ITransferProbe"/> by size. Each point is the fastest of a few timed runs after warm-up:
/// on a shared machine, preemption and cache pollution only ever add time, so the fastest run is the closest to
/// what the stage costs on a device of its own.
/// </summary>
public sealed class Profiler(ProfilerOptions options, ITransferProbe? transferProbe = null, TimeProvider? time = null)
{
    private readonly ProfilerOptions _options = options;
    private readonly ITransferProbe _probe = transferProbe ?? new InProcessTransferProbe(time);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private int _noisyPoints;
    private int _points;

    public async Task<StageProfile> RunAsync(string modelDirectory, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        _options.Validate();
        _noisyPoints = 0;
        _points = 0;
        if (!Directory.Exists(modelDirectory))
        {
            throw new DirectoryNotFoundException($"{modelDirectory}: no such model folder");
        }
        TorchRuntime.Initialize();
        var random = new Random(_options.Seed);

        CostSeries encoder;
        DeviceSharing? sharing = null;
        int imageSize, tokensPerImage;
        double tokensPerFrame;
        long multimodalBytesPerToken;
        LlavaConfig config;
        string dtype;
        using (var vision = VisionEncoder.Load(modelDirectory, _options.Runtime))
        {
            config = vision.Config;
            dtype = vision.DTypeName;
            imageSize = config.Vision.ImageSize;
            tokensPerImage = vision.TokensPerImage;
            tokensPerFrame = vision.TokensPerVideo(8) / 8.0;
            multimodalBytesPerToken = (long)config.Text.HiddenSize * DTypeSize(dtype);
            progress?.Report($"encoder: {config.Vision.Architecture} {imageSize}px, {tokensPerImage} tokens per image");
            encoder = MeasureEncoder(vision, random, progress, cancellationToken);
            // On a CPU every stage process of a deployment shares these cores, each forward with this many threads.
            if (!_options.Runtime.Device.StartsWith("cuda", StringComparison.Ordinal))
            {
                sharing = new DeviceSharing(Environment.ProcessorCount, TorchSharp.torch.get_num_threads());
            }
        }

        CostGrid prefill, decode;
        long kvBytesPerToken;
        int contextLength;
        using (var language = LanguageModel.Load(modelDirectory, _options.Runtime))
        {
            contextLength = language.ContextLength;
            var ids = new PromptIds(config, random);
            prefill = MeasurePrefill(language, ids, progress, cancellationToken);
            decode = MeasureDecode(language, ids, progress, cancellationToken);
            kvBytesPerToken = MeasureKvBytesPerToken(language, ids);
        }

        var transfer = await MeasureTransferAsync(random, progress, cancellationToken);
        return new StageProfile
        {
            Source = "measured",
            Device = DescribeDevice(),
            Model = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelDirectory))),
            DType = dtype,
            CreatedAt = _time.GetUtcNow(),
            Notes = $"fastest of {_options.Repeats} timed runs after {_options.Warmup} warm-up run(s) per point"
                + (_noisyPoints > 0 ? $"; {_noisyPoints} of {_points} points noisy (slowest run over twice the fastest): profile again on an idle machine" : ""),
            ImageSize = imageSize,
            Tiling = config.Architecture == MultimodalArchitecture.Llava ? ImageTiling.Resize : ImageTiling.Tiles,
            TokensPerImage = tokensPerImage,
            TokensPerVideoFrame = tokensPerFrame,
            ContextLength = contextLength,
            KvBytesPerToken = kvBytesPerToken,
            MultimodalBytesPerToken = multimodalBytesPerToken,
            Encoder = encoder,
            Prefill = prefill,
            DecodeStep = decode,
            Transfer = transfer,
            TransferProbe = _probe.Name,
            Memory = _options.DeviceMemoryBytes > 0 ? EstimateMemory(modelDirectory, config, dtype) : MemoryProfile.Unknown,
            SharedDevice = sharing,
        };
    }

    private CostSeries MeasureEncoder(VisionEncoder vision, Random random, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var vc = vision.Config.Vision;
        var pixels = new float[vc.NumChannels * vc.ImageSize * vc.ImageSize];
        for (var i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (float)(random.NextDouble() * 2 - 1);
        }
        var image = new PixelValues(vc.NumChannels, vc.ImageSize, vc.ImageSize, pixels);
        var seconds = new List<double>();
        foreach (var batch in _options.EncoderBatches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var images = Enumerable.Repeat(image, batch).ToArray();
            var fastest = Fastest(() => vision.EncodeImages(images));
            seconds.Add(fastest);
            progress?.Report($"encoder  batch {batch,4}: {fastest * 1000,9:F2} ms");
        }
        return new CostSeries([.. _options.EncoderBatches.Select(b => (double)b)], seconds);
    }

    private CostGrid MeasurePrefill(LanguageModel language, PromptIds ids, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        // A prompt must leave room for its first sampled token.
        var lengths = _options.PromptLengths.Where(l => l + 1 <= language.ContextLength).ToArray();
        if (lengths.Length == 0)
        {
            throw new ArgumentException($"every prompt length is beyond the model's context of {language.ContextLength}");
        }
        var rows = new List<IReadOnlyList<double>>();
        foreach (var batch in _options.PrefillBatches)
        {
            var row = new List<double>();
            foreach (var length in lengths)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var requests = Enumerable.Range(0, batch).Select(b => new PrefillRequest(ids.Make(length, b), [], SamplingParams.Greedy(1))).ToArray();
                var fastest = Fastest(() =>
                {
                    foreach (var result in language.Prefill(requests))
                    {
                        result.Dispose();
                    }
                });
                row.Add(fastest);
                progress?.Report($"prefill  batch {batch,4} × {length,6} tokens: {fastest * 1000,9:F2} ms");
            }
            rows.Add(row);
        }
        return new CostGrid([.. _options.PrefillBatches.Select(b => (double)b)], [.. lengths.Select(l => (double)l)], rows);
    }

    private CostGrid MeasureDecode(LanguageModel language, PromptIds ids, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var steps = _options.Warmup + _options.Repeats;
        var contexts = _options.DecodeContexts.Where(c => c + steps + 1 <= language.ContextLength).ToArray();
        if (contexts.Length == 0)
        {
            throw new ArgumentException($"every decode context is beyond the model's context of {language.ContextLength}");
        }
        var rows = new List<IReadOnlyList<double>>();
        foreach (var batch in _options.DecodeBatches)
        {
            var row = new List<double>();
            foreach (var context in contexts)
            {
                cancellationToken.ThrowIfCancellationRequested();
                // Stop ids left empty: no sequence may leave the batch while it is timed.
                var sampling = SamplingParams.Greedy(steps + 1);
                var requests = Enumerable.Range(0, batch).Select(b => new PrefillRequest(ids.Make(context, b), [], sampling)).ToArray();
                using var decodeBatch = language.CreateDecodeBatch(batch, context + steps + 1);
                foreach (var result in language.Prefill(requests))
                {
                    using (result)
                    {
                        decodeBatch.Admit(result, sampling);
                    }
                }
                var samples = new double[_options.Repeats];
                for (var s = 0; s < steps; s++)
                {
                    var start = _time.GetTimestamp();
                    decodeBatch.Step();
                    if (s >= _options.Warmup)
                    {
                        samples[s - _options.Warmup] = _time.GetElapsedTime(start).TotalSeconds;
                    }
                }
                var fastest = Fastest(samples);
                row.Add(fastest);
                progress?.Report($"decode   batch {batch,4} at {context,6} context: {fastest * 1000,9:F2} ms per step");
            }
            rows.Add(row);
        }
        return new CostGrid([.. _options.DecodeBatches.Select(b => (double)b)], [.. contexts.Select(c => (double)c)], rows);
    }

    /// <summary>Two snapshot sizes: their difference per token leaves the header out.</summary>
    private static long MeasureKvBytesPerToken(LanguageModel language, PromptIds ids)
    {
        long SnapshotBytes(int length)
        {
            using var result = language.Prefill([new PrefillRequest(ids.Make(length, 0), [], SamplingParams.Greedy(1))])[0];
            return result.ExportSnapshot().Bytes.Length;
        }
        return SnapshotBytes(9) - SnapshotBytes(8);
    }

    private async Task<CostSeries> MeasureTransferAsync(Random random, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var seconds = new List<double>();
        foreach (var size in _options.TransferSizes)
        {
            var payload = new byte[size];
            random.NextBytes(payload);
            for (var w = 0; w < _options.Warmup; w++)
            {
                await _probe.TransferAsync(payload, cancellationToken);
            }
            var samples = new double[_options.Repeats];
            for (var r = 0; r < samples.Length; r++)
            {
                samples[r] = (await _probe.TransferAsync(payload, cancellationToken)).TotalSeconds;
            }
            var fastest = Fastest(samples);
            seconds.Add(fastest);
            progress?.Report($"transfer {size,12:N0} bytes ({_probe.Name}): {fastest * 1000,9:F3} ms");
        }
        return new CostSeries([.. _options.TransferSizes.Select(s => (double)s)], seconds);
    }

    private MemoryProfile EstimateMemory(string modelDirectory, LlavaConfig config, string dtype)
    {
        var size = DTypeSize(dtype);
        long vision = 0, language = 0;
        var checkpoint = Checkpoint.Open(modelDirectory);
        foreach (var name in checkpoint.Names)
        {
            var elements = checkpoint.Get(name).Shape.Aggregate(1L, (a, d) => a * d);
            if (name.StartsWith("text.", StringComparison.Ordinal) || name.StartsWith("lm_head.", StringComparison.Ordinal))
            {
                language += elements * size;
            }
            else
            {
                vision += elements * size;
            }
        }
        var v = config.Vision;
        var t = config.Text;
        return new MemoryProfile(
            DeviceBytes: _options.DeviceMemoryBytes,
            VisionWeightBytes: vision,
            LanguageWeightBytes: language,
            // Estimates, as in AnalyticProfile: a few live activations per token of each forward.
            EncoderActivationBytesPerImage: (long)v.SequenceLength * Math.Max(4 * v.HiddenSize, v.IntermediateSize) * size * 2,
            PrefillActivationBytesPerToken: (long)(4 * t.HiddenSize + 2 * t.IntermediateSize) * size);
    }

    private string DescribeDevice()
    {
        var device = _options.Runtime.Device;
        return device.StartsWith("cuda", StringComparison.Ordinal)
            ? device
            : $"cpu ({Environment.ProcessorCount} cores, {TorchSharp.torch.get_num_threads()} threads)";
    }

    private double Fastest(Action run)
    {
        for (var w = 0; w < _options.Warmup; w++)
        {
            run();
        }
        var samples = new double[_options.Repeats];
        for (var r = 0; r < samples.Length; r++)
        {
            var start = _time.GetTimestamp();
            run();
            samples[r] = _time.GetElapsedTime(start).TotalSeconds;
        }
        return Fastest(samples);
    }

    /// <summary>The fastest run; a point whose slowest run took over twice as long counts as noisy.</summary>
    private double Fastest(double[] samples)
    {
        var fastest = samples.Min();
        _points++;
        if (samples.Length > 1 && samples.Max() > 2 * fastest)
        {
            _noisyPoints++;
        }
        return fastest;
    }

    private static int DTypeSize(string dtype) => dtype == "float32" ? 4 : 2;

    /// <summary>Text-only prompt ids: never a media placeholder, never a special id.</summary>
    private sealed class PromptIds(LlavaConfig config, Random random)
    {
        private readonly int _offset = random.Next(1000);

        public int[] Make(int length, int variant)
        {
            var vocab = config.Text.VocabSize;
            var ids = new int[length];
            var next = _offset + 7919 * variant;
            for (var i = 0; i < length; i++)
            {
                int id;
                do
                {
                    id = 3 + (int)((uint)next++ % (uint)(vocab - 3));
                }
                while (id == config.ImageTokenId || id == config.VideoTokenId);
                ids[i] = id;
            }
            return ids;
        }
    }
}
