using System.Globalization;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EpdBatch.Contracts;
using EpdBatch.Pipeline.Storage;

namespace EpdBatch.Ingest.Manifest;

/// <summary>
/// Parses one manifest line (already split, checked for UTF-8 and stripped of a leading BOM) in either format,
/// keeping what the whole file needs: the format its first valid line chose, and the custom ids seen so far.
/// </summary>
internal sealed class ManifestLineParser
{
    private const int MaxCustomIdLength = 512;
    private const string ChatCompletionsUrl = "/v1/chat/completions";

    private static readonly JsonDocumentOptions s_json = new() { MaxDepth = 64, AllowDuplicateProperties = false };
    private static readonly HashSet<string> s_nativeFields = new(StringComparer.Ordinal)
    {
        "custom_id", "prompt", "images", "video", "video_frames", "max_tokens", "temperature", "top_p", "top_k", "seed", "metadata",
    };

    private static readonly HashSet<string> s_openAiFields = new(StringComparer.Ordinal) { "custom_id", "method", "url", "body" };

    // Body parameters that change what the model must produce in ways this pipeline cannot honour.
    private static readonly HashSet<string> s_unsupportedBody = new(StringComparer.Ordinal)
    {
        "tools", "tool_choice", "functions", "function_call", "response_format", "audio", "modalities", "prediction", "logit_bias",
    };

    private readonly IngestOptions _options;
    private readonly MediaAccessPolicy _media;
    private readonly int _defaultMaxTokens;
    private readonly Dictionary<string, int> _customIds = new(StringComparer.Ordinal);

    public ManifestLineParser(IngestOptions options, MediaAccessPolicy media, int defaultMaxTokens)
    {
        _options = options;
        _media = media;
        _defaultMaxTokens = defaultMaxTokens;
    }

    /// <summary>The file's format, once a line has decided it.</summary>
    public ManifestFormat Format { get; private set; }

    public ManifestEntry Parse(int line, ReadOnlyMemory<byte> utf8)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8, s_json);
        }
        catch (JsonException e)
        {
            var at = e.BytePositionInLine is { } position ? $" at byte {position + 1}" : "";
            return Error(line, null, ManifestErrorCodes.InvalidJson, $"not valid JSON{at}: {Reason(e.Message)}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Error(line, null, ManifestErrorCodes.InvalidJson, $"a line must be a JSON object, not {Describe(root.ValueKind)}");
            }

            var format = root.TryGetProperty("body", out _) || root.TryGetProperty("method", out _) || root.TryGetProperty("url", out _)
                ? ManifestFormat.OpenAiBatch
                : ManifestFormat.Native;
            string? customId = null;
            try
            {
                customId = ReadCustomId(root);
                if (Format != ManifestFormat.Unknown && format != Format)
                {
                    throw new LineException(ManifestErrorCodes.FormatMismatch,
                        $"this line is in the {Name(format)} format, but the manifest's first line chose the {Name(Format)} format; one file uses one format");
                }

                var item = format == ManifestFormat.Native ? ParseNative(line, customId, root) : ParseOpenAi(line, customId, root);

                // Only a valid line claims its custom id and decides the format: an invalid line's id may be fixed and reused.
                if (_customIds.TryGetValue(customId, out var firstLine))
                {
                    throw new LineException(ManifestErrorCodes.DuplicateCustomId, $"custom_id '{customId}' is already used on line {firstLine}");
                }

                _customIds.Add(customId, line);
                Format = format;
                return new ManifestEntry(item, null);
            }
            catch (LineException e)
            {
                return Error(line, customId, e.Code, e.Message);
            }
        }
    }

    private static string ReadCustomId(JsonElement root)
    {
        if (!root.TryGetProperty("custom_id", out var id) || id.ValueKind == JsonValueKind.Null)
        {
            throw new LineException(ManifestErrorCodes.MissingCustomId, "custom_id is missing");
        }

        if (id.ValueKind != JsonValueKind.String)
        {
            throw new LineException(ManifestErrorCodes.InvalidCustomId, $"custom_id must be a string, not {Describe(id.ValueKind)}");
        }

        var value = id.GetString()!;
        if (value.Length == 0 || value.Length > MaxCustomIdLength || value.Any(char.IsControl) || value.Trim().Length != value.Length)
        {
            throw new LineException(ManifestErrorCodes.InvalidCustomId,
                $"custom_id must be 1 to {MaxCustomIdLength} characters without control characters or surrounding spaces");
        }

        return value;
    }

    private ManifestItem ParseNative(int line, string customId, JsonElement root)
    {
        foreach (var property in root.EnumerateObject())
        {
            if (!s_nativeFields.Contains(property.Name))
            {
                throw new LineException(ManifestErrorCodes.UnknownField,
                    $"unknown field '{property.Name}' (a native line has custom_id, prompt, images, video, video_frames, max_tokens, temperature, top_p, top_k, seed, metadata)");
            }
        }

        if (!root.TryGetProperty("prompt", out var promptElement) || promptElement.ValueKind == JsonValueKind.Null)
        {
            throw new LineException(ManifestErrorCodes.MissingPrompt, "prompt is missing");
        }

        if (promptElement.ValueKind != JsonValueKind.String)
        {
            throw new LineException(ManifestErrorCodes.InvalidValue, $"prompt must be a string, not {Describe(promptElement.ValueKind)}");
        }

        var prompt = promptElement.GetString()!;
        if (string.IsNullOrWhiteSpace(prompt))
        {
            throw new LineException(ManifestErrorCodes.MissingPrompt, "prompt is empty");
        }

        var images = new List<string>();
        if (root.TryGetProperty("images", out var imagesElement) && imagesElement.ValueKind != JsonValueKind.Null)
        {
            if (imagesElement.ValueKind != JsonValueKind.Array)
            {
                throw new LineException(ManifestErrorCodes.InvalidValue, $"images must be an array of URIs, not {Describe(imagesElement.ValueKind)}");
            }

            foreach (var image in imagesElement.EnumerateArray())
            {
                images.Add(image.ValueKind == JsonValueKind.String
                    ? image.GetString()!
                    : throw new LineException(ManifestErrorCodes.InvalidValue, $"images must hold URI strings, not {Describe(image.ValueKind)}"));
            }
        }

        var videos = new List<string>();
        if (root.TryGetProperty("video", out var videoElement) && videoElement.ValueKind != JsonValueKind.Null)
        {
            videos.Add(videoElement.ValueKind == JsonValueKind.String
                ? videoElement.GetString()!
                : throw new LineException(ManifestErrorCodes.InvalidValue, $"video must be one URI string, not {Describe(videoElement.ValueKind)}"));
        }

        if (root.TryGetProperty("metadata", out var metadata) && metadata.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
        {
            throw new LineException(ManifestErrorCodes.InvalidValue, $"metadata must be an object, not {Describe(metadata.ValueKind)}");
        }

        var media = BuildMedia(images.Select(static uri => (MediaKind.Image, uri)).Concat(videos.Select(static uri => (MediaKind.Video, uri))));
        WithVideoFrames(media, ReadVideoFrames(root, "video_frames", "video_frames"));
        var sampling = ReadSampling(root, customId, "max_tokens", null);
        return new ManifestItem(line, customId, CheckPrompt(prompt), media, sampling);
    }

    private ManifestItem ParseOpenAi(int line, string customId, JsonElement root)
    {
        foreach (var property in root.EnumerateObject())
        {
            if (!s_openAiFields.Contains(property.Name))
            {
                throw new LineException(ManifestErrorCodes.UnknownField, $"unknown field '{property.Name}' (a batch request line has custom_id, method, url, body)");
            }
        }

        var method = root.TryGetProperty("method", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        if (!string.Equals(method, "POST", StringComparison.Ordinal))
        {
            throw new LineException(ManifestErrorCodes.UnsupportedMethod, $"method must be \"POST\", not {Show(m, root.TryGetProperty("method", out _))}");
        }

        var url = root.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
        if (!string.Equals(url, ChatCompletionsUrl, StringComparison.Ordinal))
        {
            throw new LineException(ManifestErrorCodes.UnsupportedUrl, $"url must be \"{ChatCompletionsUrl}\", not {Show(u, root.TryGetProperty("url", out _))}");
        }

        if (!root.TryGetProperty("body", out var body) || body.ValueKind != JsonValueKind.Object)
        {
            throw new LineException(ManifestErrorCodes.MissingBody, "body must be an object holding the chat completion request");
        }

        foreach (var property in body.EnumerateObject())
        {
            if (s_unsupportedBody.Contains(property.Name) && property.Value.ValueKind != JsonValueKind.Null)
            {
                throw new LineException(ManifestErrorCodes.UnsupportedParameter, $"body.{property.Name} is not supported by this pipeline");
            }
        }

        if (body.TryGetProperty("n", out var n) && !(n.ValueKind == JsonValueKind.Null || (n.TryGetInt32(out var count) && count == 1)))
        {
            throw new LineException(ManifestErrorCodes.UnsupportedParameter, "body.n must be 1: one completion per request");
        }

        if (body.TryGetProperty("stream", out var stream) && stream.ValueKind == JsonValueKind.True)
        {
            throw new LineException(ManifestErrorCodes.UnsupportedParameter, "body.stream must be false in a batch");
        }

        if (!body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
        {
            throw new LineException(ManifestErrorCodes.MissingMessages, "body.messages must be a non-empty array");
        }

        var system = new StringBuilder();
        var user = new StringBuilder();
        var media = new List<(MediaKind, string)>();
        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            var where = $"body.messages[{index++}]";
            if (message.ValueKind != JsonValueKind.Object)
            {
                throw new LineException(ManifestErrorCodes.InvalidValue, $"{where} must be an object");
            }

            var role = message.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
            var text = role switch
            {
                "system" or "developer" => system,
                "user" => user,
                "assistant" or "tool" or "function" => throw new LineException(ManifestErrorCodes.UnsupportedMessage,
                    $"{where} has role '{role}': only system, developer and user messages are supported (one turn per request)"),
                _ => throw new LineException(ManifestErrorCodes.InvalidValue, $"{where}.role must be system, developer or user"),
            };
            if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
            {
                throw new LineException(ManifestErrorCodes.InvalidValue, $"{where}.content is missing");
            }

            if (content.ValueKind == JsonValueKind.String)
            {
                Append(text, content.GetString()!);
                continue;
            }

            if (content.ValueKind != JsonValueKind.Array)
            {
                throw new LineException(ManifestErrorCodes.InvalidValue, $"{where}.content must be a string or an array of parts");
            }

            var partIndex = 0;
            foreach (var part in content.EnumerateArray())
            {
                var partWhere = $"{where}.content[{partIndex++}]";
                var type = part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
                switch (type)
                {
                    case "text":
                        Append(text, part.TryGetProperty("text", out var partText) && partText.ValueKind == JsonValueKind.String
                            ? partText.GetString()!
                            : throw new LineException(ManifestErrorCodes.InvalidValue, $"{partWhere}.text must be a string"));
                        break;
                    case "image_url":
                        media.Add((MediaKind.Image, ReadPartUrl(part, "image_url", partWhere)));
                        break;
                    case "video_url":
                        media.Add((MediaKind.Video, ReadPartUrl(part, "video_url", partWhere)));
                        break;
                    case null:
                        throw new LineException(ManifestErrorCodes.InvalidValue, $"{partWhere} must be an object with a string \"type\"");
                    default:
                        throw new LineException(ManifestErrorCodes.UnsupportedContentType,
                            $"{partWhere} has type '{type}': only text, image_url and video_url parts are supported");
                }
            }
        }

        if (user.Length == 0 && system.Length == 0)
        {
            throw new LineException(ManifestErrorCodes.MissingPrompt, "the messages hold no text");
        }

        var prompt = system.Length == 0 ? user.ToString() : user.Length == 0 ? system.ToString() : $"{system}\n\n{user}";
        var references = BuildMedia(media);
        WithVideoFrames(references, ReadProcessorFrames(body));
        var sampling = ReadSampling(body, customId, "max_tokens", "max_completion_tokens");
        return new ManifestItem(line, customId, CheckPrompt(prompt), references, sampling);
    }

    /// <summary>
    /// vLLM's per-request processor arguments, of which the frame count is the one this pipeline takes: an OpenAI line
    /// asks for its video's frames with <c>"mm_processor_kwargs": {"num_frames": N}</c> in the body, as vLLM clients do.
    /// </summary>
    private int? ReadProcessorFrames(JsonElement body)
    {
        if (!body.TryGetProperty("mm_processor_kwargs", out var kwargs) || kwargs.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (kwargs.ValueKind != JsonValueKind.Object)
        {
            throw new LineException(ManifestErrorCodes.InvalidValue, $"body.mm_processor_kwargs must be an object, not {Describe(kwargs.ValueKind)}");
        }

        foreach (var property in kwargs.EnumerateObject())
        {
            if (property.Name != "num_frames")
            {
                throw new LineException(ManifestErrorCodes.UnsupportedParameter, $"body.mm_processor_kwargs.{property.Name} is not supported (only num_frames)");
            }
        }

        return ReadVideoFrames(kwargs, "num_frames", "body.mm_processor_kwargs.num_frames");
    }

    /// <summary>A video frame count, checked against <see cref="IngestOptions.MaxVideoFrames"/>; null where the line gives none.</summary>
    private int? ReadVideoFrames(JsonElement source, string name, string display)
    {
        if (!source.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out var frames))
        {
            throw new LineException(ManifestErrorCodes.InvalidValue, $"{display} must be an integer");
        }

        if (frames < 1)
        {
            throw new LineException(ManifestErrorCodes.OutOfRange, $"{display} must be at least 1, not {frames}");
        }

        return frames <= _options.MaxVideoFrames
            ? (int)frames
            : throw new LineException(ManifestErrorCodes.LimitExceeded, $"{display} is {frames}, more than the limit of {_options.MaxVideoFrames} frames per video");
    }

    private static void WithVideoFrames(List<MediaReference> media, int? frames)
    {
        if (frames is null)
        {
            return;
        }

        var video = media.FindIndex(static m => m.Kind == MediaKind.Video);
        if (video < 0)
        {
            throw new LineException(ManifestErrorCodes.InvalidValue, "a frame count is given but the item has no video");
        }

        media[video] = media[video] with { Frames = frames };
    }

    private static string ReadPartUrl(JsonElement part, string name, string where)
    {
        if (!part.TryGetProperty(name, out var value))
        {
            throw new LineException(ManifestErrorCodes.InvalidValue, $"{where}.{name} is missing");
        }

        // OpenAI's shape is {"url": ...}; a bare string is accepted too, as several clients write it.
        if (value.ValueKind == JsonValueKind.String)
        {
            return value.GetString()!;
        }

        return value.ValueKind == JsonValueKind.Object && value.TryGetProperty("url", out var url) && url.ValueKind == JsonValueKind.String
            ? url.GetString()!
            : throw new LineException(ManifestErrorCodes.InvalidValue, $"{where}.{name}.url must be a string");
    }

    private static void Append(StringBuilder text, string value)
    {
        if (value.Length == 0)
        {
            return;
        }

        if (text.Length > 0)
        {
            text.Append('\n');
        }

        text.Append(value);
    }

    private string CheckPrompt(string prompt)
    {
        if (prompt.Length > _options.MaxPromptChars)
        {
            throw new LineException(ManifestErrorCodes.LimitExceeded, $"the prompt has {prompt.Length} characters, more than the limit of {_options.MaxPromptChars}");
        }

        return prompt;
    }

    private List<MediaReference> BuildMedia(IEnumerable<(MediaKind Kind, string Uri)> media)
    {
        var list = new List<MediaReference>();
        foreach (var (kind, uri) in media)
        {
            if (!_media.TryCheckMedia(uri, out var normalized, out var reason))
            {
                throw new LineException(ManifestErrorCodes.UnsupportedMediaUri, $"{(kind == MediaKind.Image ? "image" : "video")} URI '{Truncate(uri)}': {reason}");
            }

            list.Add(new MediaReference(kind, normalized));
        }

        var images = list.Count(static m => m.Kind == MediaKind.Image);
        if (images > _options.MaxImagesPerItem)
        {
            throw new LineException(ManifestErrorCodes.TooManyImages, $"{images} images, more than the limit of {_options.MaxImagesPerItem}");
        }

        var videos = list.Count - images;
        if (videos > 1)
        {
            throw new LineException(ManifestErrorCodes.TooManyVideos, $"{videos} videos: an item may have one");
        }

        if (list.Count == 0 && _options.RequireMedia)
        {
            throw new LineException(ManifestErrorCodes.MissingMedia, "the item names no image or video");
        }

        return list;
    }

    private SamplingSettings ReadSampling(JsonElement source, string customId, string maxTokensName, string? alternativeName)
    {
        var maxTokens = ReadInt(source, maxTokensName);
        var limitName = maxTokensName;
        if (alternativeName is not null && ReadInt(source, alternativeName) is { } alternative)
        {
            if (maxTokens is not null && maxTokens != alternative)
            {
                throw new LineException(ManifestErrorCodes.InvalidValue, $"{maxTokensName} ({maxTokens}) and {alternativeName} ({alternative}) disagree");
            }

            maxTokens = alternative;
            limitName = alternativeName;
        }

        if (maxTokens is < 1)
        {
            throw new LineException(ManifestErrorCodes.OutOfRange, $"{limitName} must be at least 1, not {maxTokens}");
        }

        if (maxTokens > _options.MaxTokensLimit)
        {
            throw new LineException(ManifestErrorCodes.LimitExceeded, $"{limitName} is {maxTokens}, more than the limit of {_options.MaxTokensLimit}");
        }

        var temperature = ReadFloat(source, "temperature") ?? 0f;
        if (temperature < 0 || temperature > _options.MaxTemperature)
        {
            throw new LineException(ManifestErrorCodes.OutOfRange, $"temperature must be between 0 and {_options.MaxTemperature.ToString(CultureInfo.InvariantCulture)}, not {temperature.ToString(CultureInfo.InvariantCulture)}");
        }

        var topP = ReadFloat(source, "top_p") ?? 1f;
        if (!(topP > 0 && topP <= 1))
        {
            throw new LineException(ManifestErrorCodes.OutOfRange, $"top_p must be in (0, 1], not {topP.ToString(CultureInfo.InvariantCulture)}");
        }

        var topK = ReadInt(source, "top_k") ?? 0;
        if (topK < 0 || topK > _options.MaxTopK)
        {
            throw new LineException(ManifestErrorCodes.OutOfRange, $"top_k must be between 0 and {_options.MaxTopK}, not {topK}");
        }

        ulong? seed = null;
        if (source.TryGetProperty("seed", out var seedElement) && seedElement.ValueKind != JsonValueKind.Null)
        {
            if (seedElement.ValueKind != JsonValueKind.Number || !seedElement.TryGetUInt64(out var value))
            {
                throw new LineException(ManifestErrorCodes.InvalidValue, "seed must be a non-negative integer");
            }

            seed = value;
        }

        // A sampled item needs a seed for a redelivered message to sample the same tokens; derive a stable one.
        if (seed is null && temperature > 0)
        {
            seed = BinaryPrimitives.ReadUInt64LittleEndian(SHA256.HashData(Encoding.UTF8.GetBytes(customId)));
        }

        return new SamplingSettings(maxTokens ?? _defaultMaxTokens, temperature, topP, topK, seed);
    }

    private static int? ReadInt(JsonElement source, string name)
    {
        if (!source.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out var value))
        {
            throw new LineException(ManifestErrorCodes.InvalidValue, $"{name} must be an integer");
        }

        return (int)Math.Clamp(value, int.MinValue, int.MaxValue);
    }

    private static float? ReadFloat(JsonElement source, string name)
    {
        if (!source.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return element.ValueKind == JsonValueKind.Number && element.TryGetDouble(out var value) && double.IsFinite(value)
            ? (float)value
            : throw new LineException(ManifestErrorCodes.InvalidValue, $"{name} must be a number");
    }

    private static ManifestEntry Error(int line, string? customId, string code, string message) =>
        new(null, new ManifestLineError(line, customId, code, message));

    private static string Name(ManifestFormat format) => format == ManifestFormat.Native ? "native" : "OpenAI batch";

    private static string Show(JsonElement element, bool present) => !present ? "missing" : element.ValueKind == JsonValueKind.String ? $"\"{Truncate(element.GetString()!)}\"" : Describe(element.ValueKind);

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    private static string Truncate(string value) => value.Length <= 200 ? value : value[..200] + "…";

    private static string Reason(string message)
    {
        // System.Text.Json ends its messages with "Path: $ | LineNumber: 0 | BytePositionInLine: 7.", positions within
        // this one line that read as nonsense next to the manifest's own line number; the byte is given apart.
        var newline = message.IndexOf('\n', StringComparison.Ordinal);
        var first = newline < 0 ? message : message[..newline];
        var cut = first.IndexOf(" Path: ", StringComparison.Ordinal) is >= 0 and var p ? p : first.IndexOf(" LineNumber: ", StringComparison.Ordinal);
        return (cut >= 0 ? first[..cut] : first).TrimEnd();
    }

    /// <summary>Rejects the line being parsed; caught in <see cref="Parse"/>, never escapes it.</summary>
    private sealed class LineException(string code, string message) : Exception(message)
    {
        public string Code { get; } = code;
    }
}
