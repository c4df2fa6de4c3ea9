using System.Globalization;
using System.Text;
using EpdBatch.Planning.Simulation;

namespace EpdBatch.Planning.Search;

/// <summary>
/// Writes a configuration as the settings the services read: an environment file (for
/// <c>docker compose --env-file</c>, whose variables compose/compose.yaml substitutes, and the
/// <c>Epd__&lt;Stage&gt;__&lt;Setting&gt;</c> names a service reads directly) and a compose override file.
/// Each stage's <c>ConcurrentMessageLimit</c> is its batch size and its <c>PrefetchCount</c> twice that, so that a
/// batch can fill and the next one waits at the worker (the options' own defaults, made explicit because the
/// compose file sets smaller ones). Given the workload's longest sequence, the decoder's <c>MaxContext</c> is set to it:
/// the decoder preallocates MaxBatchSize × MaxContext positions, and the planner's memory check sized every slot
/// for the longest item, not for the model's whole context.
/// </summary>
public static class DeploymentFiles
{
    public static string ToEnvFile(PipelineConfiguration config, string? comment = null, int? decoderMaxContext = null)
    {
        var text = new StringBuilder();
        AppendComment(text, config, comment);
        foreach (var s in Stages(config))
        {
            text.Append(CultureInfo.InvariantCulture, $"{s.Upper}_REPLICAS={s.Replicas}\n");
        }
        foreach (var s in Stages(config))
        {
            text.Append(CultureInfo.InvariantCulture, $"{s.Upper}_MAX_BATCH_SIZE={s.Batch}\n");
            text.Append(CultureInfo.InvariantCulture, $"{s.Upper}_CONCURRENT_MESSAGE_LIMIT={s.Batch}\n");
            text.Append(CultureInfo.InvariantCulture, $"{s.Upper}_PREFETCH_COUNT={2 * s.Batch}\n");
        }
        foreach (var s in Stages(config, decoderMaxContext))
        {
            foreach (var (name, value) in Settings(s))
            {
                text.Append(CultureInfo.InvariantCulture, $"Epd__{s.Section}__{name}={value}\n");
            }
        }
        return text.ToString();
    }

    public static string ToComposeOverride(PipelineConfiguration config, string? comment = null, int? decoderMaxContext = null)
    {
        var text = new StringBuilder();
        AppendComment(text, config, comment);
        text.Append("services:\n");
        foreach (var s in Stages(config, decoderMaxContext))
        {
            text.Append(CultureInfo.InvariantCulture, $"  {s.Service}:\n");
            text.Append("    environment:\n");
            foreach (var (name, value) in Settings(s))
            {
                text.Append(CultureInfo.InvariantCulture, $"      Epd__{s.Section}__{name}: \"{value}\"\n");
            }
            text.Append("    deploy:\n");
            text.Append(CultureInfo.InvariantCulture, $"      replicas: {s.Replicas}\n");
        }
        return text.ToString();
    }

    private static void AppendComment(StringBuilder text, PipelineConfiguration config, string? comment)
    {
        text.Append(CultureInfo.InvariantCulture, $"# epd plan: {config}\n");
        if (!string.IsNullOrWhiteSpace(comment))
        {
            foreach (var line in comment.Split('\n'))
            {
                text.Append("# ").Append(line.TrimEnd()).Append('\n');
            }
        }
        if (config.Layout.IsColocated)
        {
            text.Append("# A colocated layout: run the replicas of the stages a GPU shares on that same GPU (one of each per GPU).\n");
            text.Append("# The services still pull from shared queues, so an item may move between GPUs where the simulation kept it on one.\n");
        }
    }

    private static IEnumerable<(string Name, string Value)> Settings(StageSettings s)
    {
        yield return ("MaxBatchSize", s.Batch.ToString(CultureInfo.InvariantCulture));
        if (s.WaitMs is { } wait)
        {
            yield return ("MaxBatchWaitMs", wait.ToString(CultureInfo.InvariantCulture));
        }
        yield return ("ConcurrentMessageLimit", s.Batch.ToString(CultureInfo.InvariantCulture));
        yield return ("PrefetchCount", (2 * s.Batch).ToString(CultureInfo.InvariantCulture));
        if (s.MaxContext is { } context)
        {
            yield return ("MaxContext", context.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static StageSettings[] Stages(PipelineConfiguration config, int? decoderMaxContext = null) =>
    [
        new("encoder", "Encoder", "ENCODER", config.Layout.WorkersFor(PipelineStage.Encode), config.Encoder.MaxBatchSize, WaitMs(config.Encoder), null),
        new("prefill", "Prefill", "PREFILL", config.Layout.WorkersFor(PipelineStage.Prefill), config.Prefill.MaxBatchSize, WaitMs(config.Prefill), null),
        new("decoder", "Decoder", "DECODER", config.Layout.WorkersFor(PipelineStage.Decode), config.DecoderMaxBatch, null, decoderMaxContext),
    ];

    private static int WaitMs(BatchPolicy policy) => (int)Math.Round(policy.MaxWaitSeconds * 1000);

    private sealed record StageSettings(string Service, string Section, string Upper, int Replicas, int Batch, int? WaitMs, int? MaxContext);
}
