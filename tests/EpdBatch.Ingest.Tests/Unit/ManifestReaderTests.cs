using System.Text;
using EpdBatch.Contracts;
using EpdBatch.Ingest.Manifest;
using EpdBatch.Ingest.Tests.Support;
using EpdBatch.Pipeline.Storage;
using Microsoft.Extensions.Options;

namespace EpdBatch.Ingest.Tests.Unit;

/// <summary>Both manifest formats, and every kind of invalid line, reported with its line number.</summary>
public class ManifestReaderTests
{
    private static readonly MediaAccessPolicy s_azure = MediaAccessPolicy.For(
        new AzureBlobStore(TestServers.Blob, Options.Create(new EpdStorageOptions()), TimeProvider.System));

    private string _root = null!;

    [SetUp]
    public void CreateRoot() => _root = TestRun.TempFolder();

    [TearDown]
    public void DeleteRoot() => Directory.Delete(_root, recursive: true);

    [Test]
    public async Task Native_lines_become_items_with_media_and_sampling()
    {
        var entries = await ReadAsync(
            Lines.Native("a1", "Describe the image.", ["az://media/cat.jpg", "https://devstoreaccount1.blob.core.windows.net/media/dog.png"], maxTokens: 32,
                extra: new { temperature = 0.7, top_p = 0.9, top_k = 40, seed = 1234, metadata = new { source = "nightly" } }),
            Lines.Native("a2", "What happens?", [], video: "http://127.0.0.1:10000/devstoreaccount1/media/clip.mp4", maxTokens: null),
            Lines.Native("a3", "Sampled without a seed.", maxTokens: 8, extra: new { temperature = 1.0 }));

        var items = entries.Select(e => e.Item!).ToList();
        Assert.That(entries.Select(e => e.Error), Is.All.Null);
        Assert.That(items[0].Media, Is.EqualTo(new[]
        {
            new MediaReference(MediaKind.Image, "az://media/cat.jpg"),
            new MediaReference(MediaKind.Image, "https://devstoreaccount1.blob.core.windows.net/media/dog.png"),
        }));
        Assert.That(items[0].Sampling, Is.EqualTo(new SamplingSettings(32, 0.7f, 0.9f, 40, 1234)));
        Assert.That(items[0].Prompt, Is.EqualTo("Describe the image."));
        Assert.That((items[0].Line, items[0].Index, items[0].CustomId), Is.EqualTo((1, 0, "a1")));
        Assert.That(items[1].Media, Is.EqualTo(new[] { new MediaReference(MediaKind.Video, "http://127.0.0.1:10000/devstoreaccount1/media/clip.mp4") }));
        Assert.That(items[1].Sampling, Is.EqualTo(new SamplingSettings(100)), "the job's default max_tokens, greedy");
        Assert.That(items[2].Sampling.Seed, Is.Not.Null, "a sampled item gets a seed derived from its custom id");
        var again = await ReadAsync(Lines.Native("a3", "Sampled without a seed.", maxTokens: 8, extra: new { temperature = 1.0 }));
        Assert.That(again[0].Item!.Sampling.Seed, Is.EqualTo(items[2].Sampling.Seed), "the derived seed is stable");
    }

    [Test]
    public async Task OpenAi_batch_lines_with_image_and_video_parts_become_items()
    {
        var line = """
            {"custom_id": "req-1", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "llava", "messages": [
              {"role": "system", "content": "You are terse."},
              {"role": "user", "content": [
                {"type": "text", "text": "Compare the photo and the clip."},
                {"type": "image_url", "image_url": {"url": "az://media/a.jpg", "detail": "high"}},
                {"type": "video_url", "video_url": {"url": "az://media/b.mp4"}},
                {"type": "image_url", "image_url": {"url": "https://devstoreaccount1.blob.core.windows.net/media/c.webp"}},
                {"type": "text", "text": "Answer in one line."}]}],
              "max_completion_tokens": 48, "temperature": 0.2, "top_p": 0.95, "seed": 7, "n": 1, "stream": false, "user": "team-a"}}
            """.ReplaceLineEndings("");

        var entries = await ReadAsync(line, Lines.OpenAi("req-2", "Caption it.", images: ["az://media/d.jpg"]));

        Assert.That(entries.Select(e => e.Error), Is.All.Null);
        var item = entries[0].Item!;
        Assert.That(item.Media, Is.EqualTo(new[]
        {
            new MediaReference(MediaKind.Image, "az://media/a.jpg"),
            new MediaReference(MediaKind.Video, "az://media/b.mp4"),
            new MediaReference(MediaKind.Image, "https://devstoreaccount1.blob.core.windows.net/media/c.webp"),
        }));
        Assert.That(item.Prompt, Is.EqualTo("You are terse.\n\nCompare the photo and the clip.\nAnswer in one line."));
        Assert.That(item.Sampling, Is.EqualTo(new SamplingSettings(48, 0.2f, 0.95f, 0, 7)));
        Assert.That(entries[1].Item!.Sampling.MaxTokens, Is.EqualTo(16));
    }

    [Test]
    public async Task A_video_items_frame_count_is_carried_in_both_formats_and_checked_against_the_cap()
    {
        const string Clip = "az://media/clip.mp4";
        var native = await ReadAsync(
            Lines.Native("own", "What happens?", [], video: Clip, extra: new { video_frames = 12 }),
            Lines.Native("default", "What happens?", [], video: Clip),
            Lines.Native("over", "x", [], video: Clip, extra: new { video_frames = 33 }),
            Lines.Native("zero", "x", [], video: Clip, extra: new { video_frames = 0 }),
            Lines.Native("text", "x", [], video: Clip, extra: new { video_frames = "8" }),
            Lines.Native("no-video", "x", extra: new { video_frames = 8 }),
            Lines.Native("mixed", "x", ["az://media/a.jpg"], video: Clip, extra: new { video_frames = 32 }));

        Assert.That(native[0].Item!.Media, Is.EqualTo(new[] { new MediaReference(MediaKind.Video, Clip, 12) }));
        Assert.That(native[1].Item!.Media, Is.EqualTo(new[] { new MediaReference(MediaKind.Video, Clip) }), "no count: the encoder's default");
        Assert.That(native.Skip(2).Take(4).Select(e => (e.Error?.Code, e.Error?.Message)), Is.EqualTo(new (string?, string?)[]
        {
            (ManifestErrorCodes.LimitExceeded, "video_frames is 33, more than the limit of 32 frames per video"),
            (ManifestErrorCodes.OutOfRange, "video_frames must be at least 1, not 0"),
            (ManifestErrorCodes.InvalidValue, "video_frames must be an integer"),
            (ManifestErrorCodes.InvalidValue, "a frame count is given but the item has no video"),
        }));
        Assert.That(native[6].Item!.Media, Is.EqualTo(new[] { new MediaReference(MediaKind.Image, "az://media/a.jpg"), new MediaReference(MediaKind.Video, Clip, 32) }),
            "the count goes to the video alone");

        var openAi = await ReadAsync(Reader(new IngestOptions { MaxVideoFrames = 16 }), Bytes(
            Lines.OpenAi("own", video: Clip, body: new { mm_processor_kwargs = new { num_frames = 6 } }),
            Lines.OpenAi("default", video: Clip, body: new { mm_processor_kwargs = (object?)null }),
            Lines.OpenAi("over", video: Clip, body: new { mm_processor_kwargs = new { num_frames = 17 } }),
            Lines.OpenAi("other-kwarg", video: Clip, body: new { mm_processor_kwargs = new { num_frames = 4, fps = 1 } }),
            Lines.OpenAi("not-object", video: Clip, body: new { mm_processor_kwargs = 4 }),
            Lines.OpenAi("no-video", images: ["az://media/a.jpg"], body: new { mm_processor_kwargs = new { num_frames = 4 } })));

        Assert.That(openAi[0].Item!.Media, Is.EqualTo(new[] { new MediaReference(MediaKind.Video, Clip, 6) }));
        Assert.That(openAi[1].Item!.Media, Is.EqualTo(new[] { new MediaReference(MediaKind.Video, Clip) }));
        Assert.That(openAi.Skip(2).Select(e => (e.Error?.Code, e.Error?.Message)), Is.EqualTo(new (string?, string?)[]
        {
            (ManifestErrorCodes.LimitExceeded, "body.mm_processor_kwargs.num_frames is 17, more than the limit of 16 frames per video"),
            (ManifestErrorCodes.UnsupportedParameter, "body.mm_processor_kwargs.fps is not supported (only num_frames)"),
            (ManifestErrorCodes.InvalidValue, "body.mm_processor_kwargs must be an object, not a number"),
            (ManifestErrorCodes.InvalidValue, "a frame count is given but the item has no video"),
        }));
    }

    [Test]
    public async Task Format_is_decided_per_file_by_its_first_valid_line()
    {
        var reader = Reader();
        var native = await ReadAsync(reader, Bytes(Lines.Native("n1"), Lines.OpenAi("o1", images: ["az://m/x.jpg"])));
        Assert.That(reader.Format, Is.EqualTo(ManifestFormat.Native));
        Assert.That(native[1].Error, Is.EqualTo(new ManifestLineError(2, "o1", ManifestErrorCodes.FormatMismatch, native[1].Error!.Message)));

        var openAiReader = Reader();
        var openAi = await ReadAsync(openAiReader, Bytes("{broken", Lines.OpenAi("o1", images: ["az://m/x.jpg"]), Lines.Native("n1")));
        Assert.That(openAiReader.Format, Is.EqualTo(ManifestFormat.OpenAiBatch), "an invalid first line decides nothing");
        Assert.That(openAi.Select(e => e.Error?.Code), Is.EqualTo(new[] { ManifestErrorCodes.InvalidJson, null, ManifestErrorCodes.FormatMismatch }));
    }

    [Test]
    public async Task Invalid_native_lines_are_reported_with_their_line_numbers()
    {
        var options = new IngestOptions { MaxLineBytes = 600 };
        var lines = new[]
        {
            Lines.Native("ok-1"),                                                                // 1
            "{\"custom_id\": \"x\", \"prompt\": ",                                               // 2 invalid JSON
            "[1, 2, 3]",                                                                         // 3 not an object
            """{"prompt": "p", "images": ["az://m/a.jpg"]}""",                                   // 4 no custom_id
            """{"custom_id": 17, "prompt": "p", "images": ["az://m/a.jpg"]}""",                  // 5 custom_id not a string
            Lines.Native("ok-1"),                                                                // 6 duplicate of line 1
            """{"custom_id": "u", "prompt": "p", "image": "az://m/a.jpg"}""",                    // 7 misspelt field
            """{"custom_id": "np", "images": ["az://m/a.jpg"]}""",                               // 8 no prompt
            Lines.Native("t", extra: new { temperature = "hot" }),                               // 9 not a number
            Lines.Native("p", extra: new { top_p = 1.5 }),                                       // 10 out of range
            Lines.Native("m", maxTokens: 5000),                                                  // 11 over the limit
            Lines.Native("i9", images: Enumerable.Range(0, 9).Select(i => $"az://m/{i}.jpg").ToArray()), // 12 too many images
            Lines.Native("d", images: ["data:image/png;base64,iVBORw0KGgo="]),                   // 13 inline data
            Lines.Native("e", images: ["https://example.com/cat.jpg"]),                          // 14 not blob storage
            Lines.Native("none", images: []),                                                    // 15 no media
            Lines.Native("long", prompt: new string('x', 700)),                                  // 16 longer than 600 bytes
            "",                                                                                  // 17 blank: skipped
            Lines.Native("ok-2"),                                                                // 18
            Lines.Native("neg", maxTokens: 0),                                                   // 19 below 1
            """{"custom_id": "dup-prop", "custom_id": "again", "prompt": "p", "images": ["az://m/a.jpg"]}""", // 20 duplicate property
            Lines.Native("seed", extra: new { seed = -1 }),                                      // 21 negative seed
            Lines.OpenAi("o", images: ["az://m/a.jpg"]),                                         // 22 the other format
        };
        var bytes = Bytes(lines).ToList();
        var utf8Line = Encoding.UTF8.GetBytes(Lines.Native("bad-bytes", prompt: "caf\u00e9 XX")).ToList();
        var marker = utf8Line.IndexOf((byte)'X');
        utf8Line[marker] = 0xFF;
        utf8Line[marker + 1] = 0xFE;
        bytes.AddRange(utf8Line);                                                                // 23 not UTF-8
        bytes.Add((byte)'\n');
        bytes.AddRange(Encoding.UTF8.GetBytes("\uFEFF" + Lines.Native("bom-inside") + "\n"));   // 24 BOM not on line 1

        var entries = await ReadAsync(Reader(options), [.. bytes]);

        var errors = entries.Where(e => e.Error is not null).Select(e => (e.Error!.Line, e.Error.Code)).ToList();
        Assert.That(errors, Is.EqualTo(new[]
        {
            (2, ManifestErrorCodes.InvalidJson),
            (3, ManifestErrorCodes.InvalidJson),
            (4, ManifestErrorCodes.MissingCustomId),
            (5, ManifestErrorCodes.InvalidCustomId),
            (6, ManifestErrorCodes.DuplicateCustomId),
            (7, ManifestErrorCodes.UnknownField),
            (8, ManifestErrorCodes.MissingPrompt),
            (9, ManifestErrorCodes.InvalidValue),
            (10, ManifestErrorCodes.OutOfRange),
            (11, ManifestErrorCodes.LimitExceeded),
            (12, ManifestErrorCodes.TooManyImages),
            (13, ManifestErrorCodes.UnsupportedMediaUri),
            (14, ManifestErrorCodes.UnsupportedMediaUri),
            (15, ManifestErrorCodes.MissingMedia),
            (16, ManifestErrorCodes.LineTooLong),
            (19, ManifestErrorCodes.OutOfRange),
            (20, ManifestErrorCodes.InvalidJson),
            (21, ManifestErrorCodes.InvalidValue),
            (22, ManifestErrorCodes.FormatMismatch),
            (23, ManifestErrorCodes.InvalidUtf8),
            (24, ManifestErrorCodes.UnexpectedBom),
        }));
        Assert.That(entries.Where(e => e.Item is not null).Select(e => (e.Item!.Line, e.Item.CustomId)), Is.EqualTo(new[] { (1, "ok-1"), (18, "ok-2") }));
        var byLine = entries.Where(e => e.Error is not null).ToDictionary(e => e.Line, e => e.Error!);
        Assert.That(byLine[6].Message, Does.Contain("line 1"));
        Assert.That(byLine[6].CustomId, Is.EqualTo("ok-1"));
        Assert.That(byLine[11].Message, Does.Contain("5000").And.Contain("4096"));
        Assert.That(byLine[23].Message, Does.Contain("byte"));
        Assert.That(byLine[2].CustomId, Is.Null);
        Assert.That(byLine[2].Message, Does.StartWith("not valid JSON at byte ").And.Not.Contain("LineNumber"));
    }

    [Test]
    public async Task Invalid_openai_batch_lines_are_reported_with_their_line_numbers()
    {
        var lines = new[]
        {
            Lines.OpenAi("ok", images: ["az://m/a.jpg"]),                                                                  // 1
            Lines.OpenAi("get", images: ["az://m/a.jpg"]).Replace("\"POST\"", "\"GET\""),                                  // 2
            Lines.OpenAi("emb", images: ["az://m/a.jpg"]).Replace("/v1/chat/completions", "/v1/embeddings"),              // 3
            """{"custom_id": "nobody", "method": "POST", "url": "/v1/chat/completions"}""",                               // 4
            """{"custom_id": "nomsg", "method": "POST", "url": "/v1/chat/completions", "body": {"messages": []}}""",       // 5
            """{"custom_id": "turns", "method": "POST", "url": "/v1/chat/completions", "body": {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}}""", // 6
            """{"custom_id": "audio", "method": "POST", "url": "/v1/chat/completions", "body": {"messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": "", "format": "wav"}}]}]}}""", // 7
            Lines.OpenAi("tools", images: ["az://m/a.jpg"], body: new { tools = new[] { new { type = "function" } } }),   // 8
            Lines.OpenAi("n2", images: ["az://m/a.jpg"], body: new { n = 2 }),                                            // 9
            Lines.OpenAi("v2", images: [], video: "az://m/a.mp4").Replace("}]}]", "},{\"type\":\"video_url\",\"video_url\":{\"url\":\"az://m/b.mp4\"}}]}]"), // 10
            Lines.OpenAi("both", images: ["az://m/a.jpg"], body: new { max_tokens = 10, max_completion_tokens = 20 }),    // 11
            Lines.OpenAi("big", images: ["az://m/a.jpg"], body: new { max_tokens = (int?)null, max_completion_tokens = 100000 }), // 12
            Lines.OpenAi("stream", images: ["az://m/a.jpg"], body: new { stream = true }),                                // 13
            Lines.OpenAi("local", images: ["/etc/passwd"]),                                                               // 14
            Lines.OpenAi("hot", images: ["az://m/a.jpg"], body: new { temperature = 3.5 }),                               // 15
            Lines.OpenAi("extra", images: ["az://m/a.jpg"]).Replace("\"body\"", "\"headers\": {}, \"body\""),             // 16
        };

        var entries = await ReadAsync(lines);

        Assert.That(entries.Select(e => (e.Line, e.Error?.Code)), Is.EqualTo(new[]
        {
            (1, (string?)null),
            (2, ManifestErrorCodes.UnsupportedMethod),
            (3, ManifestErrorCodes.UnsupportedUrl),
            (4, ManifestErrorCodes.MissingBody),
            (5, ManifestErrorCodes.MissingMessages),
            (6, ManifestErrorCodes.UnsupportedMessage),
            (7, ManifestErrorCodes.UnsupportedContentType),
            (8, ManifestErrorCodes.UnsupportedParameter),
            (9, ManifestErrorCodes.UnsupportedParameter),
            (10, ManifestErrorCodes.TooManyVideos),
            (11, ManifestErrorCodes.InvalidValue),
            (12, ManifestErrorCodes.LimitExceeded),
            (13, ManifestErrorCodes.UnsupportedParameter),
            (14, ManifestErrorCodes.UnsupportedMediaUri),
            (15, ManifestErrorCodes.OutOfRange),
            (16, ManifestErrorCodes.UnknownField),
        }));
        Assert.That(entries[2].Error!.Message, Does.Contain("/v1/embeddings"));
        Assert.That(entries[6].Error!.Message, Does.Contain("input_audio"));
    }

    [Test]
    public async Task A_bom_on_line_1_is_skipped_and_crlf_and_blank_lines_are_fine()
    {
        var text = "\uFEFF" + Lines.Native("a") + "\r\n\r\n   \r\n" + Lines.Native("b") + "\r\n" + Lines.Native("c");
        var reader = Reader();

        var entries = await ReadAsync(reader, Encoding.UTF8.GetBytes(text));

        Assert.That(entries.Select(e => (e.Line, e.Item?.CustomId)), Is.EqualTo(new[] { (1, "a"), (4, "b"), (5, (string?)"c") }));
        Assert.That(reader.Lines, Is.EqualTo(5));
    }

    [Test]
    public async Task Lines_are_split_at_the_limit_exactly_and_an_overlong_line_is_never_buffered_whole()
    {
        var options = new IngestOptions { MaxLineBytes = 1024 };
        var fits = Lines.Native("fits", prompt: "p");
        fits = fits.Replace("\"p\"", "\"" + new string('y', 1024 - fits.Length + 1) + "\"");
        Assert.That(Encoding.UTF8.GetByteCount(fits), Is.EqualTo(1024));
        var over = fits.Replace("\"fits\"", "\"over!\"");
        var huge = Lines.Native("huge", prompt: new string('z', 5_000_000));

        // A stream that hands out a few bytes at a time, as a slow network would.
        var entries = await ReadAsync(Reader(options), new TrickleStream(Bytes(fits, over, huge, Lines.Native("after")), 333));

        Assert.That(entries.Select(e => (e.Line, e.Error?.Code)), Is.EqualTo(new[]
        {
            (1, (string?)null), (2, ManifestErrorCodes.LineTooLong), (3, ManifestErrorCodes.LineTooLong), (4, null),
        }));
    }

    [Test]
    public async Task A_large_manifest_streams_through()
    {
        var lines = Enumerable.Range(0, 20_000).Select(i => $$"""{"custom_id": "item-{{i}}", "prompt": "Describe.", "images": ["az://media/{{i}}.jpg"]}""");

        var entries = await ReadAsync(Reader(), new TrickleStream(Bytes([.. lines]), 4096));

        Assert.That(entries, Has.Count.EqualTo(20_000));
        Assert.That(entries.Select(e => e.Item!.Index), Is.EqualTo(Enumerable.Range(0, 20_000)));
    }

    [Test]
    public async Task Local_paths_are_media_only_inside_the_local_root()
    {
        var policy = MediaAccessPolicy.For(new LocalFolderStore(_root));
        var entries = await ReadAsync(Reader(policy: policy), Bytes(
            Lines.Native("rel", images: ["images/cat.jpg"]),
            Lines.Native("abs", images: [Path.Combine(_root, "images/dog.jpg")]),
            Lines.Native("az", images: ["az://media/cat.jpg"]),
            Lines.Native("up", images: ["../outside.jpg"]),
            Lines.Native("https", images: ["https://devstoreaccount1.blob.core.windows.net/media/cat.jpg"])));

        Assert.That(entries.Select(e => e.Error?.Code), Is.EqualTo(new[]
        {
            null, null, null, ManifestErrorCodes.UnsupportedMediaUri, ManifestErrorCodes.UnsupportedMediaUri,
        }));
    }

    private Task<List<ManifestEntry>> ReadAsync(params string[] lines) => ReadAsync(Reader(), Bytes(lines));

    private ManifestReader Reader(IngestOptions? options = null, MediaAccessPolicy? policy = null) =>
        new(options ?? new IngestOptions(), policy ?? s_azure, defaultMaxTokens: 100);

    private static Task<List<ManifestEntry>> ReadAsync(ManifestReader reader, byte[] bytes) => ReadAsync(reader, new MemoryStream(bytes));

    private static async Task<List<ManifestEntry>> ReadAsync(ManifestReader reader, Stream stream)
    {
        var entries = new List<ManifestEntry>();
        await foreach (var entry in reader.ReadAsync(stream, CancellationToken.None))
        {
            entries.Add(entry);
        }

        return entries;
    }

    private static byte[] Bytes(params string[] lines) => Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n");

    /// <summary>Returns at most <c>chunk</c> bytes per read.</summary>
    private sealed class TrickleStream(byte[] content, int chunk) : MemoryStream(content)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }
}
