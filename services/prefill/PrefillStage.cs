using EpdBatch.Model.Runtime;
using EpdBatch.Model.Stages;
using EpdBatch.Pipeline.Batching;
using EpdBatch.Pipeline.Options;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EpdBatch.Prefill;

/// <summary>
/// The prefill worker's model: the language model without a vision tower. Prompts from concurrent messages are
/// prefilled in batches on one model thread; each result leaves as a KV snapshot (bytes) and the first token.
/// </summary>
public sealed class PrefillStage : IAsyncDisposable
{
    private readonly LanguageModel _model;
    private readonly ModelWorkQueue<PrefillRequest, PrefillOutcome> _queue;

    public PrefillStage(IOptions<PrefillOptions> options, ILogger<PrefillStage> logger)
    {
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

    public Task<PrefillOutcome> PrefillAsync(PrefillRequest request, CancellationToken ct) => _queue.RunAsync(request, ct);

    private IReadOnlyList<PrefillOutcome> Prefill(IReadOnlyList<PrefillRequest> batch)
    {
        var results = _model.Prefill(batch);
        var outcomes = new PrefillOutcome[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            using var result = results[i];
            var finish = FinishReason.After(result.FirstToken, 1, batch[i].Sampling);
            // A sequence that ended with its first token needs no decode, so no snapshot leaves this worker.
            var snapshot = finish is null ? result.ExportSnapshot().Bytes.ToArray() : null;
            outcomes[i] = new PrefillOutcome(result.FirstToken, result.PromptLength, finish, snapshot);
        }
        return outcomes;
    }

    public async ValueTask DisposeAsync()
    {
        await _queue.DisposeAsync();
        _model.Dispose();
    }
}
