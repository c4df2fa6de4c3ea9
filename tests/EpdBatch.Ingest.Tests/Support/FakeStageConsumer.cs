using EpdBatch.Contracts;
using MassTransit;

namespace EpdBatch.Ingest.Tests.Support;

/// <summary>The whole pipeline in one consumer: EncodeItem in, ItemCompleted or ItemFailed out (see <see cref="FakeStage"/>).</summary>
public sealed class FakeStageConsumer(FakeStage stage) : IConsumer<EncodeItem>
{
    public async Task Consume(ConsumeContext<EncodeItem> context)
    {
        var item = context.Message;
        stage.Received.AddOrUpdate(item.CustomId, 1, static (_, n) => n + 1);
        if (item.CustomId.StartsWith("hold", StringComparison.Ordinal))
        {
            await stage.Hold.Task.WaitAsync(context.CancellationToken);
        }

        if (stage.Failing.ContainsKey(item.CustomId))
        {
            await context.Publish(new ItemFailed(item.JobId, item.ItemIndex, item.CustomId, "encoder", "blob_not_found", $"Blob not found: {(item.Media.Count > 0 ? item.Media[0].Uri : "")}"));
            return;
        }

        var completed = new ItemCompleted(item.JobId, item.ItemIndex, item.CustomId, FakeStage.TokensOf(item.ItemIndex), FakeStage.TextOf(item.CustomId),
            "stop", 100 + item.ItemIndex, FakeStage.TimingsOf(item.ItemIndex));
        await context.Publish(completed);
        if (stage.Duplicating.ContainsKey(item.CustomId))
        {
            await context.Publish(completed with { Tokens = [9, 9, 9] });
            await context.Publish(new ItemFailed(item.JobId, item.ItemIndex, item.CustomId, "decoder", "late", "A late failure the ingest must ignore."));
        }
    }
}
