using System.Collections.Concurrent;
using System.Diagnostics;
using EpdBatch.Model.Runtime;
using EpdBatch.Model.Sampling;
using EpdBatch.Model.Stages;
using EpdBatch.Pipeline.Options;
using EpdBatch.Stages;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EpdBatch.Decoder;

/// <summary>
/// The decoder worker's model and its one decode loop (continuous batching): new sequences join between steps as
/// soon as a slot is free, finished ones leave at once and complete their caller's task. A sequence whose caller
/// gave up (its token cancelled: a cancelled job, a stopping worker) leaves at the next step boundary, so its slot
/// and its steps go to the others. All model work runs on the loop's own thread.
/// </summary>
public sealed class DecodeLoop : IAsyncDisposable
{
    private readonly LanguageModel _model;
    private readonly DecodeBatch _batch;
    private readonly ConcurrentQueue<Pending> _pending = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly ILogger<DecodeLoop> _logger;
    private long _abandoned;

    public DecodeLoop(IOptions<DecoderOptions> options, ILogger<DecodeLoop> logger)
    {
        var settings = options.Value;
        _logger = logger;
        _model = LanguageModel.Load(settings.ModelPath!, new RuntimeOptions { Device = settings.Device });
        _batch = _model.CreateDecodeBatch(settings.MaxBatchSize, settings.MaxContext > 0 ? settings.MaxContext : null);
        _thread = new Thread(Run) { IsBackground = true, Name = "decoder-model" };
        _thread.Start();
        logger.LogInformation("decoder: model {Model} ({Fingerprint}) on {Device}, {Batch} slots of {Capacity} positions",
            settings.ModelPath, _model.Fingerprint, settings.Device, settings.MaxBatchSize, _batch.Capacity);
    }

    public LanguageModel Model => _model;

    /// <summary>Steps run so far and the sequences they carried, for occupancy statistics.</summary>
    public long Steps { get; private set; }

    public long SequenceSteps { get; private set; }

    /// <summary>
    /// Decodes one sequence from its snapshot to the end; completes when it has finished. Cancelling
    /// <paramref name="ct"/> cancels the task at once and takes the sequence out of the batch at the next step
    /// boundary (or before it joins).
    /// </summary>
    public Task<DecodeOutcome> DecodeAsync(KvSnapshot snapshot, int firstToken, SamplingParams sampling, CancellationToken ct) =>
        Enqueue(new Pending(snapshot, null, firstToken, sampling, Stopwatch.GetTimestamp(), ct));

    /// <summary>
    /// As <see cref="DecodeAsync(KvSnapshot, int, SamplingParams, CancellationToken)"/>, from a cache prefilled in this
    /// process and kept on its device: copied device-to-device into the batch. The loop owns <paramref name="entry"/>
    /// from this call on and disposes it once its cache is in the batch, or when the sequence never joins.
    /// </summary>
    public Task<DecodeOutcome> DecodeAsync(DeviceKvHandoffEntry entry, SamplingParams sampling, CancellationToken ct) =>
        Enqueue(new Pending(null, entry, entry.Result.FirstToken, sampling, Stopwatch.GetTimestamp(), ct));

    private Task<DecodeOutcome> Enqueue(Pending pending)
    {
        if (_stop.IsCancellationRequested)
        {
            pending.Device?.Dispose();
            throw new ObjectDisposedException(nameof(DecodeLoop));
        }
        _pending.Enqueue(pending);
        _signal.Release();
        return pending.Completion.Task.WaitAsync(pending.Token);
    }

    /// <summary>Sequences that left the batch before they finished because their caller gave up.</summary>
    public long Abandoned => Interlocked.Read(ref _abandoned);

    private void Run()
    {
        var active = new Dictionary<int, Sequence>();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                RemoveAbandoned(active);
                while (_batch.HasFreeSlot && _pending.TryDequeue(out var next))
                {
                    Admit(next, active);
                }
                if (_batch.ActiveCount == 0)
                {
                    _signal.Wait(_stop.Token);
                    continue;
                }
                Step(active);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // A failed step poisons the batch's state: fail everything in it and what waits, so the messages retry.
            _logger.LogError(e, "decoder: the decode loop failed");
            foreach (var sequence in active.Values)
            {
                sequence.Pending.Completion.TrySetException(e);
            }
            while (_pending.TryDequeue(out var waiting))
            {
                waiting.Device?.Dispose();
                waiting.Completion.TrySetException(e);
            }
        }
    }

    /// <summary>Takes out of the batch the sequences whose callers gave up, between two steps.</summary>
    private void RemoveAbandoned(Dictionary<int, Sequence> active)
    {
        List<int>? gone = null;
        foreach (var (slot, sequence) in active)
        {
            if (sequence.Pending.Token.IsCancellationRequested)
            {
                (gone ??= []).Add(slot);
            }
        }
        foreach (var slot in gone ?? [])
        {
            var sequence = active[slot];
            _batch.Remove(slot);
            active.Remove(slot);
            sequence.Pending.Completion.TrySetCanceled(sequence.Pending.Token);
            Interlocked.Increment(ref _abandoned);
            _logger.LogDebug("decoder: a sequence left slot {Slot} after {Tokens} tokens, its caller gave up", slot, sequence.Tokens.Count);
        }
    }

    private void Admit(Pending next, Dictionary<int, Sequence> active)
    {
        // A device cache is copied into the batch (or never joins): either way it is freed here, on the loop's thread.
        using var device = next.Device;
        if (next.Token.IsCancellationRequested)
        {
            next.Completion.TrySetCanceled(next.Token);
            Interlocked.Increment(ref _abandoned);
            return;
        }
        try
        {
            var slot = device is not null
                ? _batch.Admit(device.Result, next.Sampling)
                : _batch.Admit(next.Snapshot!, next.FirstToken, next.Sampling);
            active[slot] = new Sequence(next, [next.FirstToken], Stopwatch.GetTimestamp());
        }
        catch (Exception e)
        {
            next.Completion.TrySetException(e);
        }
    }

    private void Step(Dictionary<int, Sequence> active)
    {
        var steps = _batch.Step();
        Steps++;
        SequenceSteps += steps.Count;
        foreach (var step in steps)
        {
            var sequence = active[step.Slot];
            sequence.Tokens.Add(step.Token);
            if (step.FinishReason is { } reason)
            {
                active.Remove(step.Slot);
                var now = Stopwatch.GetTimestamp();
                sequence.Pending.Completion.TrySetResult(new DecodeOutcome(sequence.Tokens, reason,
                    Stopwatch.GetElapsedTime(sequence.Pending.QueuedAt, sequence.AdmittedAt), Stopwatch.GetElapsedTime(sequence.AdmittedAt, now)));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.Run(() => _thread.Join(TimeSpan.FromSeconds(30)));
        while (_pending.TryDequeue(out var waiting))
        {
            waiting.Device?.Dispose();
            waiting.Completion.TrySetCanceled();
        }
        _batch.Dispose();
        _model.Dispose();
        _stop.Dispose();
        _signal.Dispose();
    }

    /// <summary>A sequence waiting for a slot, with its cache: a host snapshot or an entry of the device hand-off.</summary>
    private sealed record Pending(KvSnapshot? Snapshot, DeviceKvHandoffEntry? Device, int FirstToken, SamplingParams Sampling, long QueuedAt, CancellationToken Token)
    {
        public TaskCompletionSource<DecodeOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed record Sequence(Pending Pending, List<int> Tokens, long AdmittedAt);
}
