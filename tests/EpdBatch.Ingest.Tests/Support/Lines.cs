using System.Text.Json;
using System.Text.Json.Nodes;

namespace EpdBatch.Ingest.Tests.Support;

/// <summary>Manifest lines for tests, in both formats.</summary>
internal static class Lines
{
    public static string Native(string customId, string prompt = "Describe the image.", string[]? images = null, string? video = null, int? maxTokens = 16, object? extra = null)
    {
        var line = new JsonObject
        {
            ["custom_id"] = customId,
            ["prompt"] = prompt,
            ["images"] = JsonSerializer.SerializeToNode(images ?? ["az://media/cat.jpg"]),
        };
        if (video is not null)
        {
            line["video"] = video;
        }

        if (maxTokens is not null)
        {
            line["max_tokens"] = maxTokens;
        }

        if (extra is not null)
        {
            foreach (var (key, value) in JsonSerializer.SerializeToNode(extra)!.AsObject())
            {
                line[key] = value?.DeepClone();
            }
        }

        return line.ToJsonString();
    }

    public static string OpenAi(string customId, string text = "What happens in this video?", string[]? images = null, string? video = null, object? body = null)
    {
        var content = new JsonArray { new JsonObject { ["type"] = "text", ["text"] = text } };
        foreach (var image in images ?? [])
        {
            content.Add(new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = image } });
        }

        if (video is not null)
        {
            content.Add(new JsonObject { ["type"] = "video_url", ["video_url"] = new JsonObject { ["url"] = video } });
        }

        var bodyObject = new JsonObject
        {
            ["model"] = "llava-test",
            ["messages"] = new JsonArray { new JsonObject { ["role"] = "user", ["content"] = content } },
            ["max_tokens"] = 16,
        };
        if (body is not null)
        {
            foreach (var (key, value) in JsonSerializer.SerializeToNode(body)!.AsObject())
            {
                bodyObject[key] = value?.DeepClone();
            }
        }

        return new JsonObject
        {
            ["custom_id"] = customId,
            ["method"] = "POST",
            ["url"] = "/v1/chat/completions",
            ["body"] = bodyObject,
        }.ToJsonString();
    }
}
