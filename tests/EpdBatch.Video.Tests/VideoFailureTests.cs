using EpdBatch.Pipeline;
using Microsoft.Extensions.Options;

namespace EpdBatch.Video.Tests;

/// <summary>
/// Bad videos end with their reason (a permanent failure of the encoder stage), and whatever ends a decode — an
/// error, the deadline, the caller — leaves no ffmpeg process and no temporary file behind.
/// </summary>
[TestFixture]
public sealed class VideoFailureTests
{
    private string _root = null!;
    private string _temp = null!;

    [OneTimeSetUp]
    public void CreateFolder()
    {
        _root = Path.Combine(Path.GetTempPath(), "epd-vtest-failures-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_root);
    }

    [OneTimeTearDown]
    public void DeleteFolder() => Directory.Delete(_root, recursive: true);

    [SetUp]
    public void CreateTempDirectory()
    {
        _temp = Path.Combine(_root, "tmp-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_temp);
    }

    [TearDown]
    public void NothingLeftBehind()
    {
        Assert.That(Directory.GetFileSystemEntries(_temp), Is.Empty, "no temporary file survives");
        Assert.That(ToolProcesses.Alive(_temp), Is.Empty, "no ffmpeg or ffprobe survives");
    }

    [Test]
    public async Task Random_bytes_are_a_corrupt_video()
    {
        var noise = new byte[50_000];
        new Random(7).NextBytes(noise);
        await AssertFailsAsync(VideoInput.FromBytes(noise, "noise.mp4"), VideoErrorCodes.Corrupt);
        await AssertFailsAsync(VideoInput.FromBytes("this is text, not a video"u8.ToArray(), "notes.mp4"), VideoErrorCodes.Corrupt);
        await AssertFailsAsync(VideoInput.FromBytes(Array.Empty<byte>(), "empty.mp4"), VideoErrorCodes.Corrupt);
    }

    [Test]
    public async Task A_truncated_mp4_with_its_index_at_the_end_is_corrupt()
    {
        var video = await File.ReadAllBytesAsync(TestVideos.Counter(_root, "whole.mp4", 2, 25));
        var error = await AssertFailsAsync(VideoInput.FromBytes(video.AsMemory(0, video.Length / 2), "cut.mp4"), VideoErrorCodes.Corrupt);
        Assert.That(error.Message, Does.Contain("cut.mp4"));
    }

    [Test]
    public async Task A_playlist_posing_as_a_video_is_not_followed()
    {
        var playlist = "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nfile:///etc/hostname\n#EXT-X-ENDLIST\n"u8.ToArray();
        await AssertFailsAsync(VideoInput.FromBytes(playlist, "list.m3u8"), VideoErrorCodes.Corrupt);
    }

    [TestCase("sine.m4a")]
    [TestCase("sine.mp4")]
    [TestCase("sine.mkv")]
    public async Task Audio_only_has_no_video_stream(string name)
    {
        var path = Path.Combine(_root, name);
        TestVideos.Run(["-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:a", name.EndsWith(".mkv", StringComparison.Ordinal) ? "libvorbis" : "aac", path]);
        var error = await AssertFailsAsync(VideoInput.FromBytes(await File.ReadAllBytesAsync(path), name), VideoErrorCodes.NoVideoStream);
        Assert.That(error.Message, Does.Contain("no video stream"));
    }

    [Test]
    public async Task Audio_with_cover_art_has_no_video_stream()
    {
        var cover = Path.Combine(_root, "cover.png");
        TestVideos.Run(["-f", "lavfi", "-i", "color=c=red:s=32x32:d=1", "-frames:v", "1", cover]);
        var path = Path.Combine(_root, "song.m4a");
        TestVideos.Run(["-f", "lavfi", "-i", "sine=duration=2", "-i", cover, "-map", "0:a", "-map", "1:v", "-c:a", "aac", "-c:v", "png", "-disposition:v:0", "attached_pic", path]);
        var error = await AssertFailsAsync(VideoInput.FromFile(path), VideoErrorCodes.NoVideoStream);
        Assert.That(error.Message, Does.Contain("cover picture"));
    }

    [Test]
    public async Task An_over_long_video_fails_before_it_is_decoded()
    {
        var video = TestVideos.Counter(_root, "long.mp4", 6, 10);
        var error = await AssertFailsAsync(VideoInput.FromFile(video), VideoErrorCodes.TooLong, o => o.MaxDurationSeconds = 5);
        Assert.That(error.Message, Does.Contain("6 s").And.Contain("limit is 5 s"));

        // A webm names no stream duration; the container's (or, failing that, the packets') still counts.
        var webm = TestVideos.Counter(_root, "long.webm", 6, 10, 30, "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8");
        await AssertFailsAsync(VideoInput.FromFile(webm), VideoErrorCodes.TooLong, o => o.MaxDurationSeconds = 5);
    }

    [Test]
    public async Task An_over_large_video_fails_by_resolution_or_by_bytes()
    {
        var video = TestVideos.Counter(_root, "wide.mp4", 1, 10);
        var error = await AssertFailsAsync(VideoInput.FromFile(video), VideoErrorCodes.TooLarge, o => o.MaxWidth = 100);
        Assert.That(error.Message, Does.Contain("128x16"));
        await AssertFailsAsync(VideoInput.FromFile(video), VideoErrorCodes.TooLarge, o => o.MaxHeight = 15);
        await AssertFailsAsync(VideoInput.FromBytes(await File.ReadAllBytesAsync(video), "big.mp4"), VideoErrorCodes.TooLarge, o => o.MaxBytes = 100);
    }

    [Test]
    public async Task Without_ffmpeg_the_sampler_starts_and_fails_each_video_with_its_reason()
    {
        // An image-only worker (a GPU host without ffmpeg) must start; its video items fail one by one.
        var video = TestVideos.Counter(_root, "no-tools.mp4", 1, 10);
        var error = await AssertFailsAsync(VideoInput.FromFile(video), VideoErrorCodes.ToolsMissing, o => o.FfmpegPath = "/nonexistent/ffmpeg");
        Assert.That(error.Message, Does.Contain("no-tools.mp4").And.Contain("Epd:Video:FfmpegPath '/nonexistent/ffmpeg'"));
    }

    [Test]
    public async Task The_deadline_kills_a_running_ffmpeg()
    {
        // Frames larger than a pipe's buffer: while the converter holds the first frame, ffmpeg blocks on its next write.
        var video = Path.Combine(_root, "big.mp4");
        TestVideos.Run(["-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=3", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", video]);
        using var sampler = Sampler(o => o.DecodeTimeout = TimeSpan.FromSeconds(2));
        var aliveDuringDecode = new List<string>();
        var killedWhileBlocked = false;

        var task = sampler.SampleAsync(VideoInput.FromBytes(await File.ReadAllBytesAsync(video), "big.mp4"), 8, (rgb, width, height) =>
        {
            if (aliveDuringDecode.Count == 0)
            {
                aliveDuringDecode.AddRange(ToolProcesses.Alive(_temp));
                killedWhileBlocked = WaitUntil(() => ToolProcesses.Alive(_temp).Count == 0, TimeSpan.FromSeconds(20));
            }

            return width;
        }, CancellationToken.None);

        var error = (PermanentItemException)Assert.ThrowsAsync(Is.InstanceOf<PermanentItemException>(), async () => await task)!;
        Assert.That(error.Code, Is.EqualTo(VideoErrorCodes.Timeout));
        Assert.That(error.Stage, Is.EqualTo(PipelineStages.Encoder));
        Assert.That(aliveDuringDecode, Has.Some.Contains(" ffmpeg "), "ffmpeg was running when the deadline passed");
        Assert.That(killedWhileBlocked, Is.True, "the deadline killed ffmpeg while it was blocked");
    }

    [Test]
    public async Task Cancellation_kills_a_running_ffmpeg()
    {
        var video = Path.Combine(_root, "cancel.mp4");
        TestVideos.Run(["-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=3", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", video]);
        using var sampler = Sampler();
        using var cts = new CancellationTokenSource();
        var killed = false;

        var task = sampler.SampleAsync(VideoInput.FromBytes(await File.ReadAllBytesAsync(video), "cancel.mp4"), 8, (rgb, width, height) =>
        {
            if (!cts.IsCancellationRequested)
            {
                Assert.That(ToolProcesses.Alive(_temp), Has.Some.Contains(" ffmpeg "));
                cts.Cancel();
                killed = WaitUntil(() => ToolProcesses.Alive(_temp).Count == 0, TimeSpan.FromSeconds(20));
            }

            return width;
        }, cts.Token);

        Assert.That(async () => await task, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(killed, Is.True, "cancellation killed ffmpeg while it was blocked");
    }

    [Test]
    public async Task A_deadline_that_passes_while_probing_is_a_timeout_too()
    {
        var video = TestVideos.Counter(_root, "quick.mp4", 1, 10);
        await AssertFailsAsync(VideoInput.FromBytes(await File.ReadAllBytesAsync(video), "quick.mp4"), VideoErrorCodes.Timeout, o => o.DecodeTimeout = TimeSpan.FromMilliseconds(1));
    }

    [Test]
    public async Task Cancellation_before_the_start_throws_at_once()
    {
        var video = TestVideos.Counter(_root, "never.mp4", 1, 10);
        using var sampler = Sampler();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        Assert.That(async () => await sampler.SampleRgbAsync(VideoInput.FromFile(video), 4, cts.Token), Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public void Folders_left_by_a_killed_worker_are_removed_at_start()
    {
        var stale = Directory.CreateDirectory(Path.Combine(_temp, "epd-video-tmp-" + Guid.NewGuid().ToString("N")));
        File.WriteAllText(Path.Combine(stale.FullName, "video.mp4"), "left behind");
        Directory.SetLastWriteTimeUtc(stale.FullName, DateTime.UtcNow.AddHours(-3));
        var fresh = Directory.CreateDirectory(Path.Combine(_temp, "epd-video-tmp-" + Guid.NewGuid().ToString("N")));
        Directory.SetLastWriteTimeUtc(fresh.FullName, DateTime.UtcNow.AddMinutes(-90));
        var other = Directory.CreateDirectory(Path.Combine(_temp, "not-ours"));
        Directory.SetLastWriteTimeUtc(other.FullName, DateTime.UtcNow.AddHours(-3));

        using (Sampler(o => o.DecodeTimeout = TimeSpan.FromMinutes(1)))
        {
            Assert.That(Directory.Exists(stale.FullName), Is.False, "older than twice the longest deadline: a dead worker's");
            Assert.That(Directory.Exists(fresh.FullName), Is.True, "may belong to a running decode with a long deadline");
            Assert.That(Directory.Exists(other.FullName), Is.True, "not made by the sampler");
        }

        fresh.Delete();
        other.Delete();
    }

    private async Task<PermanentItemException> AssertFailsAsync(VideoInput input, string code, Action<VideoOptions>? configure = null)
    {
        using var sampler = Sampler(configure);
        try
        {
            await sampler.SampleRgbAsync(input, 4, CancellationToken.None);
        }
        catch (PermanentItemException ex)
        {
            Assert.That(ex.Code, Is.EqualTo(code), ex.Message);
            Assert.That(ex.Stage, Is.EqualTo(PipelineStages.Encoder));
            return ex;
        }

        Assert.Fail($"{input.Name}: expected {code}, but it was sampled");
        throw new InvalidOperationException("unreachable");
    }

    private FfmpegFrameSampler Sampler(Action<VideoOptions>? configure = null)
    {
        var options = new VideoOptions { TempDirectory = _temp };
        configure?.Invoke(options);
        return new FfmpegFrameSampler(Options.Create(options));
    }

    private static bool WaitUntil(Func<bool> condition, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < deadline)
        {
            if (condition())
            {
                return true;
            }

            Thread.Sleep(20);
        }

        return false;
    }
}
