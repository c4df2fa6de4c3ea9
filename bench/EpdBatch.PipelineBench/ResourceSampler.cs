using System.Globalization;
using StackExchange.Redis;

namespace EpdBatch.PipelineBench;

/// <summary>
/// Samples, every <c>interval</c> while a job runs, the resident memory of each service process (<c>VmRSS</c> in
/// /proc/&lt;pid&gt;/status) and the keys of the deployment's private Redis database (by kind: the ingest's job
/// records, multimodal tokens <c>mm:</c>, KV snapshots <c>kv:</c>, the encoder's equal-media cache <c>mmc:</c>,
/// and the rest), and keeps the peaks. The kernel's own peak (<c>VmHWM</c>) is read at the end.
/// </summary>
internal sealed class ResourceSampler : IAsyncDisposable
{
    private readonly IReadOnlyDictionary<string, int> _processes;
    private readonly IServer _redis;
    private readonly int _database;
    private readonly string _ingestPrefix;
    private readonly TimeSpan _interval;
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, long> _peakRssKb = [];
    private readonly Dictionary<string, long> _startRssKb = [];
    private readonly Dictionary<string, long> _peakKeys = [];
    private readonly Task _loop;

    public ResourceSampler(IReadOnlyDictionary<string, int> processes, IServer redis, int database, string ingestPrefix, TimeSpan interval)
    {
        _processes = processes;
        _redis = redis;
        _database = database;
        _ingestPrefix = ingestPrefix;
        _interval = interval;
        foreach (var (name, pid) in processes)
        {
            _startRssKb[name] = ReadStatusKb(pid, "VmRSS:") ?? 0;
        }
        _loop = Task.Run(LoopAsync);
    }

    public int Samples { get; private set; }

    /// <summary>Stops sampling and returns the figures (memory in MiB).</summary>
    public async Task<ResourcePeaks> StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        var hwm = _processes.ToDictionary(p => p.Key, p => Mib(ReadStatusKb(p.Value, "VmHWM:") ?? 0));
        return new ResourcePeaks(
            _startRssKb.ToDictionary(p => p.Key, p => Mib(p.Value)),
            _peakRssKb.ToDictionary(p => p.Key, p => Mib(p.Value)),
            hwm,
            new Dictionary<string, long>(_peakKeys),
            Samples);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }
        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            foreach (var (name, pid) in _processes)
            {
                if (ReadStatusKb(pid, "VmRSS:") is { } rss)
                {
                    _peakRssKb[name] = Math.Max(_peakRssKb.GetValueOrDefault(name), rss);
                }
            }

            var counts = new Dictionary<string, long> { ["total"] = 0 };
            await foreach (var key in _redis.KeysAsync(_database, "*", pageSize: 1000))
            {
                var kind = Kind(key.ToString());
                counts[kind] = counts.GetValueOrDefault(kind) + 1;
                counts["total"]++;
            }
            foreach (var (kind, count) in counts)
            {
                _peakKeys[kind] = Math.Max(_peakKeys.GetValueOrDefault(kind), count);
            }
            Samples++;
            try
            {
                await Task.Delay(_interval, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private string Kind(string key) => KindOf(key, _ingestPrefix);

    /// <summary>The kind of a key of the deployment: ingest (job records), mm, kv, mmc (see the class summary) or other.</summary>
    public static string KindOf(string key, string ingestPrefix) =>
        key.StartsWith(ingestPrefix, StringComparison.Ordinal) ? "ingest"
        : key.StartsWith("mmc:", StringComparison.Ordinal) ? "mmc"
        : key.StartsWith("mm:", StringComparison.Ordinal) ? "mm"
        : key.StartsWith("kv:", StringComparison.Ordinal) ? "kv"
        : "other";

    private static double Mib(long kb) => Math.Round(kb / 1024.0, 1);

    private static long? ReadStatusKb(int pid, string field)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
            return line is null ? null : long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            // The process is gone.
            return null;
        }
    }
}
