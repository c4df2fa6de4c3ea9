using System.Text;
using System.Text.Json.Nodes;
using EpdBatch.Ingest.Manifest;
using EpdBatch.Media.Tests;
using SkiaSharp;

namespace EpdBatch.Cli.Tests.HostileInput;

/// <summary>
/// One manifest holding every kind of bad input the bad-input catalogue of docs/reliability.md lists, among good
/// items, with the outcome each line must have: a result, or an error with its stage and code. Media are made here
/// (SkiaSharp, hand-written image files, ffmpeg) and uploaded by the caller.
/// </summary>
internal sealed class HostileManifest
{
    private readonly List<(byte[] Line, Expected Outcome)> _lines = [];
    private readonly Dictionary<string, byte[]> _blobs = new(StringComparer.Ordinal);

    /// <summary>What one line must end as: a result (<see cref="Code"/> null) or an error of <see cref="Stage"/> with <see cref="Code"/>.</summary>
    public sealed record Expected(string Kind, string? Stage, string? Code);

    public IReadOnlyDictionary<string, byte[]> Blobs => _blobs;

    /// <summary>Expected outcomes by one-based line number.</summary>
    public IReadOnlyDictionary<int, Expected> Outcomes => _lines.Select((l, i) => (Line: i + 1, l.Outcome)).ToDictionary(x => x.Line, x => x.Outcome);

    public byte[] Bytes() => [.. _lines.SelectMany(static l => l.Line.Concat("\n"u8.ToArray()))];

    /// <param name="container">The allowed media container.</param>
    /// <param name="encoderOnlyRefused">A container the ingest allows but the encoder does not (defence in depth).</param>
    /// <param name="forbidden">A container on no allowlist, holding a real image.</param>
    /// <param name="endpoint">The configured endpoint, e.g. http://127.0.0.1:10000/devstoreaccount1.</param>
    /// <param name="sas">A SAS query string (<c>sv=…&amp;sig=…</c>) of the configured account.</param>
    /// <param name="maxImageBytes">The encoder's Epd:Encoder:MaxImageBytes.</param>
    public static HostileManifest Build(string container, string encoderOnlyRefused, string forbidden, string endpoint, string sas, int maxImageBytes, string scratch)
    {
        var m = new HostileManifest();
        string Az(string name) => $"az://{container}/{name}";
        string Blob(string name, byte[] content)
        {
            m._blobs[Az(name)] = content;
            return Az(name);
        }

        var good = Enumerable.Range(0, 6).Select(i => Blob($"good-{i}.{(i % 2 == 0 ? "png" : "jpg")}", Picture(i, i % 2 == 0 ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg))).ToArray();
        m._blobs[$"az://{forbidden}/secret.png"] = Picture(40, SKEncodedImageFormat.Png);
        m._blobs[$"az://{encoderOnlyRefused}/elsewhere.png"] = Picture(41, SKEncodedImageFormat.Png);

        // Good items, plain and in the formats that are converted, not refused.
        for (var i = 0; i < good.Length; i++)
        {
            m.Item("good", $"good-{i}", good[i]);
        }

        m.Item("grayscale PNG", "gray", Blob("gray.png", TestImages.Png(48, 40, 8, 0, Pattern(48 * 40, 1))));
        m.Item("16-bit PNG", "png16", Blob("deep.png", TestImages.Png(40, 32, 16, 2, Pattern(40 * 32 * 6, 3))));
        m.Item("CMYK JPEG", "cmyk", Blob("cmyk.jpg", TestImages.CmykJpeg(32, 32, [200, 100, 50, 255])));
        byte[][] palette = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [250, 250, 250]];
        m.Item("animated GIF", "gif", Blob("anim.gif", TestImages.Gif(32, 32, palette, Pattern(32 * 32, 4, modulo: 4), new byte[32 * 32])));
        m.Item("own-account URI with a SAS token", "sas-own", $"{endpoint}/{container}/good-0.png?{sas}");

        // Refused at ingest: the line.
        m.Raw("malformed JSON", ManifestErrorCodes.InvalidJson, "{\"custom_id\": \"json\", \"prompt\": ");
        m.Raw("a 10 MB line", ManifestErrorCodes.LineTooLong, Line("huge", new string('x', 10 * 1024 * 1024), [good[0]]));
        m.Raw("missing custom_id", ManifestErrorCodes.MissingCustomId, new JsonObject { ["prompt"] = "p", ["images"] = new JsonArray(good[0]) }.ToJsonString());
        m.Item("first of a duplicated custom_id", "dup", good[1]);
        m.Raw("duplicate custom_id", ManifestErrorCodes.DuplicateCustomId, Line("dup", "Caption it.", [good[2]]));
        m.RawBytes("non-UTF-8 bytes", ManifestErrorCodes.InvalidUtf8, [.. Encoding.UTF8.GetBytes("{\"custom_id\": \"latin1\", \"prompt\": \"caf"), 0xE9, .. Encoding.UTF8.GetBytes($"\", \"images\": [\"{good[0]}\"]}}")]);
        m.Raw("unknown field", ManifestErrorCodes.UnknownField, Line("field", "p", [good[0]]).Replace("\"prompt\"", "\"colour\": 1, \"prompt\""));
        m.Raw("no media", ManifestErrorCodes.MissingMedia, Line("nomedia", "p", []));
        m.Raw("prompt over Epd:Ingest:MaxPromptChars", ManifestErrorCodes.LimitExceeded, Line("chars", new string('p', 9000), [good[0]]));
        m.Raw("too many images", ManifestErrorCodes.TooManyImages, Line("nine", "p", [.. Enumerable.Repeat(good[0], 9)]));
        m.Raw("negative temperature", ManifestErrorCodes.OutOfRange, Line("cold", "p", [good[0]], new JsonObject { ["temperature"] = -1 }));
        m.Raw("absurd max_tokens", ManifestErrorCodes.LimitExceeded, Line("many", "p", [good[0]], new JsonObject { ["max_tokens"] = 1_000_000_000 }));
        m.Raw("zero top_p", ManifestErrorCodes.OutOfRange, Line("topp", "p", [good[0]], new JsonObject { ["top_p"] = 0 }));
        m.Raw("negative top_k", ManifestErrorCodes.OutOfRange, Line("topk", "p", [good[0]], new JsonObject { ["top_k"] = -5 }));
        m.Raw("seed that is not an integer", ManifestErrorCodes.InvalidValue, Line("seed", "p", [good[0]], new JsonObject { ["seed"] = "abc" }));

        // Refused at ingest: the URI (no request is made).
        m.Raw("loopback URI (Redis port)", ManifestErrorCodes.UnsupportedMediaUri, Line("loopback", "p", ["http://127.0.0.1:6379/x.jpg"]));
        m.Raw("other host", ManifestErrorCodes.UnsupportedMediaUri, Line("otherhost", "p", ["https://example.com/cat.jpg"]));
        m.Raw("file:// URI", ManifestErrorCodes.UnsupportedMediaUri, Line("file", "p", ["file:///etc/passwd"]));
        m.Raw("path traversal", ManifestErrorCodes.UnsupportedMediaUri, Line("dotdot", "p", [$"az://{container}/../{forbidden}/secret.png"]));
        m.Raw("percent-encoded path traversal", ManifestErrorCodes.UnsupportedMediaUri, Line("dotdot2", "p", [$"{endpoint}/{container}/%2e%2e/{forbidden}/secret.png"]));
        m.Raw("container off the allowlist", ManifestErrorCodes.UnsupportedMediaUri, Line("forbidden", "p", [$"az://{forbidden}/secret.png"]));
        m.Raw("other account, with a SAS token", ManifestErrorCodes.UnsupportedMediaUri, Line("otheraccount", "p", [$"https://otheracct.blob.core.windows.net/{container}/good-0.png?{sas}"]));
        m.Raw("user info in the URI", ManifestErrorCodes.UnsupportedMediaUri, Line("userinfo", "p", [$"{endpoint.Replace("://", "://user:pw@", StringComparison.Ordinal)}/{container}/good-0.png"]));
        m.Raw("inline data: URI", ManifestErrorCodes.UnsupportedMediaUri, Line("data", "p", ["data:image/png;base64,iVBORw0KGgo="]));

        // Fail in the encoder.
        m.Failing("missing blob (own-account SAS URI)", "encoder", "blob_not_found", "missing", $"{endpoint}/{container}/nope.png?{sas}");
        m.Failing("ingest allows it, the encoder's allowlist does not", "encoder", "media_access_denied", "encoder-refuses", $"az://{encoderOnlyRefused}/elsewhere.png");
        m.Failing("zero-byte file", "encoder", "empty_file", "empty", Blob("empty.jpg", []));
        var jpeg = Picture(7, SKEncodedImageFormat.Jpeg);
        m.Failing("truncated JPEG", "encoder", "corrupt_image", "truncated", Blob("cut.jpg", jpeg[..(jpeg.Length / 2)]));
        m.Failing("PNG declaring 30000x30000", "encoder", "image_too_large", "bomb", Blob("bomb.png", TestImages.PngSignatureAndHeader(30000, 30000)));
        m.Failing("text file named .jpg", "encoder", "unsupported_media_type", "text", Blob("notes.jpg", Encoding.UTF8.GetBytes("this is not an image")));
        m.Failing("image over Epd:Encoder:MaxImageBytes", "encoder", "image_too_large", "heavy", Blob("heavy.png", Noise(maxImageBytes)));
        m.Failing("corrupt mp4", "encoder", "corrupt_video", "badmp4", Blob("corrupt.mp4", Video(scratch, "ok.mp4", "testsrc=size=64x48:rate=5", 1)[..700]), video: true);
        m.Failing("media file with no video stream", "encoder", "no_video_stream", "audio", Blob("audio.mp4", Video(scratch, "audio.mp4", "sine=frequency=440", 1, audio: true)), video: true);
        m.Failing("video over Epd:Video:MaxDurationSeconds", "encoder", "video_too_long", "longvideo", Blob("long.mp4", Video(scratch, "long.mp4", "testsrc=size=32x32:rate=1", 8)), video: true);

        // Fail in prefill: prompt tokens + max_tokens against the model's context (1024 for the demo model).
        m._lines.Add((Encoding.UTF8.GetBytes(Line("context", string.Concat(Enumerable.Repeat("Describe every single detail. ", 60)), [good[3]])),
            new Expected("prompt over the model's context", "prefill", "prompt_too_long")));
        m._lines.Add((Encoding.UTF8.GetBytes(Line("context2", "Caption it.", [good[3]], new JsonObject { ["max_tokens"] = 1000 })),
            new Expected("prompt + max_tokens over the model's context", "prefill", "prompt_too_long")));
        return m;
    }

    private void Item(string kind, string id, string uri) =>
        _lines.Add((Encoding.UTF8.GetBytes(Line(id, "Describe the image.", [uri])), new Expected(kind, null, null)));

    private void Failing(string kind, string stage, string code, string id, string uri, bool video = false)
    {
        var line = video
            ? new JsonObject { ["custom_id"] = id, ["prompt"] = "What happens?", ["video"] = uri, ["max_tokens"] = 4 }.ToJsonString()
            : Line(id, "Describe the image.", [uri]);
        _lines.Add((Encoding.UTF8.GetBytes(line), new Expected(kind, stage, code)));
    }

    private void Raw(string kind, string code, string line) => RawBytes(kind, code, Encoding.UTF8.GetBytes(line));

    private void RawBytes(string kind, string code, byte[] line) => _lines.Add((line, new Expected(kind, "ingest", code)));

    private static string Line(string id, string prompt, string[] images, JsonObject? extra = null)
    {
        var line = new JsonObject { ["custom_id"] = id, ["prompt"] = prompt, ["images"] = new JsonArray([.. images.Select(static i => (JsonNode)i)]), ["max_tokens"] = 4 };
        foreach (var (key, value) in extra ?? [])
        {
            line[key] = value?.DeepClone();
        }

        return line.ToJsonString();
    }

    private static byte[] Picture(int seed, SKEncodedImageFormat format)
    {
        using var bitmap = new SKBitmap(48 + seed % 3 * 16, 40);
        var random = new Random(seed);
        for (var y = 0; y < bitmap.Height; y++)
        {
            for (var x = 0; x < bitmap.Width; x++)
            {
                bitmap.SetPixel(x, y, new SKColor((byte)random.Next(256), (byte)(x * 4), (byte)(y * 5)));
            }
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 90);
        return data.ToArray();
    }

    /// <summary>A valid PNG of random pixels, just over <paramref name="atLeast"/> bytes (noise does not compress).</summary>
    private static byte[] Noise(int atLeast)
    {
        var side = (int)Math.Ceiling(Math.Sqrt(atLeast / 3.0)) + 8;
        var pixels = new byte[side * side * 3];
        new Random(5).NextBytes(pixels);
        var png = TestImages.Png(side, side, 8, 2, pixels);
        return png.Length > atLeast ? png : throw new InvalidOperationException("the noise PNG came out too small");
    }

    private static byte[] Pattern(int length, int step, int modulo = 256) =>
        [.. Enumerable.Range(0, length).Select(i => (byte)(i * step % modulo))];

    private static byte[] Video(string folder, string name, string source, int seconds, bool audio = false)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name);
        var start = new System.Diagnostics.ProcessStartInfo("ffmpeg") { RedirectStandardError = true, RedirectStandardOutput = true };
        string[] codec = audio ? ["-c:a", "aac"] : ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"];
        foreach (var argument in (string[])["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", $"{source}:duration={seconds}", .. codec, path])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? File.ReadAllBytes(path) : throw new InvalidOperationException($"ffmpeg failed to make {name}: {errors.Result}");
    }
}
