using System.Text.Json;
using EpdBatch.Pipeline.Tests.Support;

namespace EpdBatch.Pipeline.Tests.Unit;

/// <summary>
/// Messages carry references, never tensors or media. The bus tests measure whole envelopes on the wire; this
/// bounds the event that grows with the output, with room (2 KiB) for the envelope.
/// </summary>
public class MessageSizeTests
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

    [Test]
    public void Completed_item_with_512_tokens_and_its_text_fits()
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(SampleMessages.Completed("job", 512), s_json);
        Assert.That(bytes, Has.Length.LessThan(14 * 1024));
    }

    [Test]
    public void Encode_and_decode_items_are_a_few_kilobytes()
    {
        Assert.That(JsonSerializer.SerializeToUtf8Bytes(SampleMessages.Encode("job"), s_json), Has.Length.LessThan(8 * 1024));
        Assert.That(JsonSerializer.SerializeToUtf8Bytes(SampleMessages.Decode("job"), s_json), Has.Length.LessThan(2 * 1024));
    }

    [Test]
    public void Timings_round_trip_without_their_computed_totals_on_the_wire()
    {
        var timings = EpdBatch.Contracts.StageTimings.None.WithEncode(1, 2).WithPrefill(3, 4);
        var json = JsonSerializer.Serialize(timings, s_json);

        Assert.That(json, Does.Not.Contain("total").IgnoreCase);
        Assert.That(JsonSerializer.Deserialize<EpdBatch.Contracts.StageTimings>(json, s_json), Is.EqualTo(timings));
        Assert.That(timings.GetTotalBusyMs(), Is.EqualTo(6));
        Assert.That(timings.GetTotalQueueMs(), Is.EqualTo(4));
    }
}
