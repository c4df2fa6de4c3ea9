using EpdBatch.Model.Runtime;
using EpdBatch.Model.Stages;
using EpdBatch.Pipeline.Batching;
using EpdBatch.Pipeline.Options;
using EpdBatch.Stages;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EpdBatch.Prefill;

/// <summary>
/// The prefill worker's model: the language model without a vision tower. Prompts from concurrent messages are
/// prefilled in batches on one model thread; each result leaves as the first token and a KV snapshot (bytes) or, for
/// the decoder of this process, its cache on the device (<see cref="DeviceKvHandoff"/>).
/// </summary>
public sealed class PrefillStage : IAsyncDisposable
{
    private readonly LanguageModel _model;
    private readonly ModelWorkQueue<PrefillRequest, PrefillOutcome> _queue;
    private readonly DeviceKvHandoff _handoff;

    public PrefillStage(IOptions<PrefillOptions> options, DeviceKvHandoff handoff, ILogger<PrefillStage> logger)
    {
        _handoff = handoff;
        var settings = options.Value;
        _model = LanguageModel.Load(settings.ModelPath!, new RuntimeOptions { Device = settings.Device });
        Prompts = _model.Tokenizer is { } tokenizer ? new PromptEncoder(_model.Config, tokenizer) : null;
        _queue = new ModelWorkQueue<PrefillRequest, PrefillOutcome>("prefill-model", settings.MaxBatchSize,
            TimeSpan.FromMilliseconds(settings.MaxBatchWaitMs), Prefill);
        logger.LogInformation("prefill: model {Model} ({Fingerprint}) on {Device}, batches of up to {Batch} prompts",
            settings.ModelPath, _model.Fingerprint, settings.Device, settings.MaxBatchSize);
    }

    public LanguageModel Model => _model;

    /// <summary>Null when the model folder has no tokenizer.json (items then fail with a clear reason).</summary>
    public PromptEncoder? Prompts { get; }

    public async Task<PrefillOutcome> PrefillAsync(PrefillRequest request, CancellationToken ct)
    {
        var run = _queue.RunAsync(request, CancellationToken.None);
        try
        {
            return await run.WaitAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Nobody will take the outcome: free a device cache it holds when it comes.
            _ = run.ContinueWith(static t => t.Result.Device?.Dispose(), CancellationToken.None,
                TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }
    }

    private IReadOnlyList<PrefillOutcome> Prefill(IReadOnlyList<PrefillRequest> batch)
    {
        var results = _model.Prefill(batch);
        var outcomes = new PrefillOutcome[batch.Count];
        var i = 0;
        try
        {
            for (; i < batch.Count; i++)
            {
                var result = results[i];
                var finish = FinishReason.After(result.FirstToken, 1, batch[i].Sampling);
                // A sequence that ended with its first token needs no decode, so no cache leaves this worker. One that
                // goes on stays on the device for this process's decoder where the hand-off is on and has room.
                var device = finish is null ? _handoff.TryReserve(result) : null;
                if (device is not null)
                {
                    outcomes[i] = new PrefillOutcome(result.FirstToken, result.PromptLength, finish, null, device);
                    continue;
                }
                using (result)
                {
                    var snapshot = finish is null ? result.ExportSnapshot().Bytes.ToArray() : null;
                    outcomes[i] = new PrefillOutcome(result.FirstToken, result.PromptLength, finish, snapshot);
                }
            }
        }
        catch
        {
            // The batch fails as a whole: free the caches kept so far and those not reached.
            foreach (var outcome in outcomes)
            {
                outcome?.Device?.Dispose();
            }
            for (; i < batch.Count; i++)
            {
                results[i].Dispose();
            }
            throw;
        }
        return outcomes;
    }

    public async ValueTask DisposeAsync()
    {
        await _queue.DisposeAsync();
        _model.Dispose();
    }
}
