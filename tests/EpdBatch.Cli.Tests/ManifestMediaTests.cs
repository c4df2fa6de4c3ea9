using System.Text.Json.Nodes;
using EpdBatch.Cli.Commands;

namespace EpdBatch.Cli.Tests;

/// <summary>The media locations the CLI finds in a manifest line (to resolve local paths, or upload them).</summary>
public sealed class ManifestMediaTests
{
    [Test]
    public void Every_media_location_is_found_in_both_formats_and_both_url_part_shapes()
    {
        var native = JsonNode.Parse("""{"custom_id":"a","prompt":"p","images":["x.png","y.png"],"video":"v.mp4"}""")!.AsObject();
        var openAi = JsonNode.Parse("""
            {"custom_id":"b","method":"POST","url":"/v1/chat/completions","body":{"messages":[{"role":"user","content":[
              {"type":"text","text":"hi"},
              {"type":"image_url","image_url":{"url":"a.png"}},
              {"type":"image_url","image_url":"b.png"},
              {"type":"video_url","video_url":{"url":"c.mp4"}},
              {"type":"video_url","video_url":"d.mp4"}]}]}}
            """)!.AsObject();

        Assert.That(ManifestMedia.References(native).Select(v => v.GetValue<string>()), Is.EqualTo(new[] { "x.png", "y.png", "v.mp4" }));
        Assert.That(ManifestMedia.References(openAi).Select(v => v.GetValue<string>()), Is.EqualTo(new[] { "a.png", "b.png", "c.mp4", "d.mp4" }));
    }
}
