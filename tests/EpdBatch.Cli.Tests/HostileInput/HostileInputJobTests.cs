using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Sas;
using EpdBatch.Cli.Tests.PrivateServers;
using EpdBatch.Model.Loading;
using EpdBatch.Pipeline.Storage;

namespace EpdBatch.Cli.Tests.HostileInput;

/// <summary>
/// ONE job through the real services (separate <c>epd serve</c> processes over RabbitMQ, a password-protected
/// Redis of the test's own and Azurite) that holds every kind of bad input of the catalogue among good items, run
/// with credentials made for the test: a RabbitMQ user with a password in its own vhost, a Redis ACL user with a
/// password, an explicit Azurite connection string with its account key, and SAS tokens in the manifest's own URI
/// and in media URIs. The tests then check the outcome of every line, that no worker died, and that none of the
/// credentials appears in any process's output or in any file the job wrote.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class HostileInputJobTests
{
    // Azurite's account key is public, but it is a real account key in form and use: the one a leak would show.
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private const string Endpoint = "http://127.0.0.1:10000/devstoreaccount1";
    private const int MaxImageBytes = 150_000;

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private string _work = null!;
    private string _vhost = null!;
    private string _rabbitUser = null!;
    private string _rabbitPassword = null!;
    private PrivateRedis? _redis;
    private ServiceProcesses? _services;
    private HostileManifest _manifest = null!;
    private AzureBlobStore _blobs = null!;
    private string _signature = null!;
    private string _manifestUri = null!;
    private EpdProcess.Result _run = null!;
    private readonly List<EpdProcess.Result> _statusRuns = [];
    private readonly Dictionary<string, string> _outputs = new(StringComparer.Ordinal);
    private List<JsonObject> _results = null!;
    private List<JsonObject> _errors = null!;
    private IReadOnlyList<(string Name, int Pid)> _startedPids = [];
    private readonly Dictionary<string, int> _linesBeforeJob = new(StringComparer.Ordinal);

    [OneTimeSetUp]
    public async Task RunOneHostileJob()
    {
        _work = Path.Combine(Path.GetTempPath(), "epd-hostile-" + Guid.NewGuid().ToString("N")[..8]);
        var model = Path.Combine(_work, "model");
        DemoModelWriter.Write(model, seed: 91);

        // The demo model declares no video token, so its encoder would refuse every video before reading it. Declare
        // the tokenizer's <video> (right after <image>): the bad videos below then fail where ffmpeg reads them,
        // before any model work, as they would on a video model.
        var configPath = Path.Combine(model, "config.json");
        var config = JsonNode.Parse(await File.ReadAllTextAsync(configPath))!.AsObject();
        config["video_token_index"] = config["image_token_index"]!.GetValue<int>() + 1;
        await File.WriteAllTextAsync(configPath, config.ToJsonString());

        var id = Guid.NewGuid().ToString("N")[..10];
        _rabbitUser = "epd-secret-" + id;
        _rabbitPassword = "RabbitPw-" + Guid.NewGuid().ToString("N");
        _vhost = await Loopback.CreateVhostAsync();
        await Loopback.CreateUserAsync(_vhost, _rabbitUser, _rabbitPassword);
        _redis = new PrivateRedis(Path.Combine(_work, "redis"), "epd-secret-" + id, "RedisPw-" + Guid.NewGuid().ToString("N"));
        await _redis.StartAsync();

        var blob = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};BlobEndpoint={Endpoint};";
        _blobs = new AzureBlobStore(blob, Microsoft.Extensions.Options.Options.Create(new EpdStorageOptions()), TimeProvider.System);
        var container = "epdhostile" + id;
        var second = "epdhostile2" + id;
        var forbidden = "epdforbidden" + id;
        var service = new BlobServiceClient(blob);
        var mediaSas = service.GetBlobContainerClient(container).GetBlobClient("good-0.png").GenerateSasUri(BlobSasPermissions.Read, DateTimeOffset.UtcNow.AddHours(2));
        var sasQuery = mediaSas.Query.TrimStart('?');
        _signature = Uri.UnescapeDataString(sasQuery.Split('&').Single(p => p.StartsWith("sig=", StringComparison.Ordinal))["sig=".Length..]);

        _manifest = HostileManifest.Build(container, second, forbidden, Endpoint, sasQuery, MaxImageBytes, Path.Combine(_work, "media"));
        foreach (var (uri, content) in _manifest.Blobs)
        {
            await _blobs.WriteAsync(uri, content, "application/octet-stream", CancellationToken.None);
        }

        await _blobs.WriteAsync($"az://{container}/manifest.jsonl", _manifest.Bytes(), "application/jsonl", CancellationToken.None);
        var manifestSas = service.GetBlobContainerClient(container).GetBlobClient("manifest.jsonl").GenerateSasUri(BlobSasPermissions.Read, DateTimeOffset.UtcNow.AddHours(2));
        _manifestUri = manifestSas.GetLeftPart(UriPartial.Path);
        TestContext.Progress.WriteLine($"prepared in {_clock.Elapsed.TotalSeconds:F1}s ({_manifest.Outcomes.Count} lines)");

        var environment = new Dictionary<string, string>
        {
            ["EPD_RABBITMQ"] = $"amqp://{_rabbitUser}:{_rabbitPassword}@127.0.0.1:5672/{_vhost}",
            ["EPD_REDIS"] = _redis.Configuration,
            ["EPD_BLOB"] = blob,
            ["EPD_MODEL"] = model,
            ["Epd__Ingest__KeyPrefix"] = $"epd:test:{_vhost}:",
            ["Epd__Storage__MediaContainers"] = $"{container},{second}",
        };
        _services = new ServiceProcesses(Path.Combine(_work, "logs"), environment);
        await Task.WhenAll(
            _services.StartAsync("ingest"),
            _services.StartAsync("encoder", new Dictionary<string, string>
            {
                // Stricter than the ingest on purpose: what the ingest lets through, the encoder checks again.
                ["Epd__Storage__MediaContainers"] = container,
                ["Epd__Encoder__MaxImageBytes"] = MaxImageBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Epd__Video__MaxDurationSeconds"] = "5",
            }),
            _services.StartAsync("prefill"),
            _services.StartAsync("decoder"));
        _startedPids = [.. _services.Processes.Select(p => (p.Name, p.Process.Id)).Order()];

        // From here on, the job runs: start-up chatter (health checks before the bus is up) is not the job's.
        foreach (var log in _services.Logs)
        {
            _linesBeforeJob[log] = File.ReadAllLines(log).Length;
        }

        TestContext.Progress.WriteLine($"services ready at {_clock.Elapsed.TotalSeconds:F1}s");

        _run = await EpdProcess.RunAsync(["run", manifestSas.AbsoluteUri, "--out", $"az://{container}/out/", "--verbose"], environment, timeout: TimeSpan.FromMinutes(3));
        TestContext.Progress.WriteLine($"job finished at {_clock.Elapsed.TotalSeconds:F1}s with exit code {_run.ExitCode}");
        var folder = _run.Stdout.Split('\n').SingleOrDefault(l => l.StartsWith("results", StringComparison.Ordinal))?["results".Length..].Trim()
            ?? throw new InvalidOperationException($"epd run printed no results folder:\n{_run.Stdout}\n{_run.Stderr}\n{Tails()}");
        var jobId = folder.TrimEnd('/').Split('/')[^1];
        _statusRuns.Add(await EpdProcess.RunAsync(["status", jobId], environment));
        _statusRuns.Add(await EpdProcess.RunAsync(["status", jobId, "--json"], environment));
        await foreach (var uri in _blobs.ListAsync(folder, CancellationToken.None))
        {
            _outputs[uri] = Encoding.UTF8.GetString(await _blobs.ReadAsync(uri, CancellationToken.None));
        }

        _results = Lines(folder, "results.jsonl");
        _errors = Lines(folder, "errors.jsonl");
    }

    [OneTimeTearDown]
    public async Task CleanUp()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        if (_rabbitUser is not null)
        {
            await Loopback.DeleteUserAsync(_rabbitUser);
        }

        if (_vhost is not null)
        {
            await Loopback.DeleteVhostAsync(_vhost);
        }

        if (Directory.Exists(_work))
        {
            Directory.Delete(_work, recursive: true);
        }

        TestContext.Progress.WriteLine($"fixture took {_clock.Elapsed.TotalSeconds:F1}s");
    }

    [Test]
    public void Every_bad_input_ends_with_its_documented_code_and_every_good_item_completes()
    {
        Assert.That(_run.ExitCode, Is.EqualTo(ExitCodes.SomeItemsFailed), _run.Stdout + _run.Stderr);
        var errorsByLine = _errors.ToDictionary(e => e["line"]!.GetValue<int>());
        var resultIds = _results.Select(r => r["custom_id"]!.GetValue<string>()).ToList();
        Assert.That(resultIds, Is.Unique, "no custom_id twice in results.jsonl");
        Assert.That(_results.Count + _errors.Count, Is.EqualTo(_manifest.Outcomes.Count), "every line accounted for exactly once");

        var table = new StringBuilder();
        Assert.Multiple(() =>
        {
            foreach (var (line, expected) in _manifest.Outcomes)
            {
                if (expected.Code is null)
                {
                    Assert.That(errorsByLine.ContainsKey(line), Is.False, $"line {line} ({expected.Kind}) should succeed: {errorsByLine.GetValueOrDefault(line)?.ToJsonString()}");
                    table.AppendLine($"{expected.Kind,-50} ok");
                    continue;
                }

                Assert.That(errorsByLine.TryGetValue(line, out var error), Is.True, $"line {line} ({expected.Kind}) should fail with {expected.Code}");
                if (error is not null)
                {
                    var (stage, code) = (error["stage"]!.GetValue<string>(), error["error"]!["code"]!.GetValue<string>());
                    Assert.That((stage, code), Is.EqualTo((expected.Stage, expected.Code)), $"line {line} ({expected.Kind}): {error["error"]!["message"]}");
                    Assert.That(error["error"]!["message"]!.GetValue<string>(), Is.Not.Empty.And.Not.Contain('\n'), "one line for people");
                    table.AppendLine($"{expected.Kind,-50} {stage,-8} {code}");
                }
            }
        });
        TestContext.Out.WriteLine(table.ToString());
    }

    [Test]
    public void No_worker_died_restarted_or_logged_a_crash()
    {
        var now = _services!.Processes.Select(p => (p.Name, p.Process.Id)).Order().ToList();
        Assert.That(now, Is.EqualTo(_startedPids), "the same processes, none replaced");
        foreach (var (name, process) in _services.Processes)
        {
            Assert.That(process.HasExited, Is.False, $"{name} exited");
        }

        foreach (var log in _services.Logs)
        {
            Assert.That(_linesBeforeJob[log], Is.Positive, $"{log} is empty: the scan would prove nothing");
            var lines = File.ReadAllLines(log).Skip(_linesBeforeJob[log]).ToList();
            var crashes = lines.Where(l => l.Contains("Unhandled exception", StringComparison.Ordinal) || l.Contains(" crit: ", StringComparison.Ordinal) || l.Contains(" fail: ", StringComparison.Ordinal)).ToList();
            Assert.That(crashes, Is.Empty, $"{Path.GetFileName(log)} logged errors");
        }

        Assert.That(_errors.Select(e => e["error"]!["code"]!.GetValue<string>()), Has.None.EqualTo("internal_error").And.None.EqualTo("retries_exhausted"));
    }

    [Test]
    public void No_credential_appears_in_any_log_line_or_output_file()
    {
        string[] secrets =
        [
            _rabbitPassword, _redis!.Password!, AccountKey, Uri.EscapeDataString(AccountKey), _signature, Uri.EscapeDataString(_signature),
        ];
        var sources = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["epd run stdout"] = _run.Stdout,
            ["epd run stderr"] = _run.Stderr,
        };
        for (var i = 0; i < _statusRuns.Count; i++)
        {
            sources[$"epd status #{i} stdout"] = _statusRuns[i].Stdout;
            sources[$"epd status #{i} stderr"] = _statusRuns[i].Stderr;
        }

        foreach (var log in _services!.Logs)
        {
            sources[Path.GetFileName(log)] = File.ReadAllText(log);
        }

        foreach (var (uri, text) in _outputs)
        {
            sources[uri] = text;
        }

        Assert.That(_outputs.Keys.Select(k => k[(k.LastIndexOf('/') + 1)..]), Is.SupersetOf(new[] { "results.jsonl", "errors.jsonl", "summary.json" }));
        Assert.Multiple(() =>
        {
            foreach (var (source, text) in sources)
            {
                foreach (var secret in secrets)
                {
                    Assert.That(text.Contains(secret, StringComparison.Ordinal), Is.False, $"{source} shows a credential ({secret[..4]}…)");
                }
            }
        });

        // The scan looked where the credentials would have been: the URIs that carried a SAS are quoted, redacted.
        var otherAccount = _errors.Single(e => e["custom_id"]?.GetValue<string>() == "otheraccount")["error"]!["message"]!.GetValue<string>();
        Assert.That(otherAccount, Does.Contain("otheracct.blob.core.windows.net").And.Contain("sig=***"));
        // The manifest's URI is recorded and logged without its SAS, which the ingest never needed.
        Assert.That(sources.Where(s => s.Key.EndsWith("summary.json", StringComparison.Ordinal)).Single().Value, Does.Contain(_manifestUri).And.Not.Contain("manifest.jsonl?"));
        Assert.That(sources["ingest-0.log"], Does.Contain(_manifestUri).And.Not.Contain("manifest.jsonl?"), "the ingest logged the manifest's URI, without its SAS");
    }

    private List<JsonObject> Lines(string folder, string name)
    {
        var uri = folder.EndsWith('/') ? folder + name : folder + "/" + name;
        return _outputs.TryGetValue(uri, out var text)
            ? [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(static l => (JsonObject)JsonNode.Parse(l)!)]
            : throw new InvalidOperationException($"the job wrote no {name}; it wrote {string.Join(", ", _outputs.Keys)}");
    }

    private string Tails() =>
        _services!.LogTails(20);
}
