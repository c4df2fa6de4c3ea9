using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using Microsoft.Extensions.Options;
using Polly;
using StackExchange.Redis;

namespace EpdBatch.Pipeline.Storage;

/// <summary>
/// <see cref="ITensorStore"/> on Redis, through the one shared <see cref="IConnectionMultiplexer"/>.
/// </summary>
/// <remarks>
/// Layout: the value's key holds a one-byte tag and then either the value itself (values up to
/// <see cref="EpdStorageOptions.TensorChunkSizeBytes"/>) or a header (chunk count, length, XxHash64) whose chunks
/// live at <c>key:0</c> … <c>key:n-1</c>. Every part carries the TTL. Chunks are written first and the header
/// last, so a reader never finds a header before its chunks; a reader that finds any chunk missing (expired or
/// half-written) or a checksum that does not match reports the value as missing. Connection failures and
/// timeouts are retried with backoff.
/// </remarks>
public sealed class RedisTensorStore : ITensorStore
{
    private const byte InlineTag = 0x01;
    private const byte ChunkedTag = 0x02;
    private const int HeaderLength = 1 + sizeof(int) + sizeof(long) + sizeof(ulong);

    private readonly IConnectionMultiplexer _redis;
    private readonly IDatabase _database;
    private readonly int _chunkSize;
    private readonly ResiliencePipeline _pipeline;

    public RedisTensorStore(IConnectionMultiplexer redis, IOptions<EpdStorageOptions> options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _redis = redis;
        _database = redis.GetDatabase();
        _chunkSize = options.Value.TensorChunkSizeBytes;
        _pipeline = StorageResilience.ForRedis(options.Value, timeProvider);
    }

    public Task SetAsync(string key, ReadOnlyMemory<byte> value, TimeSpan ttl, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ttl, TimeSpan.Zero);
        return _pipeline.ExecuteAsync(
            static (state, token) => new ValueTask(state.Store.SetOnceAsync(state.Key, state.Value, state.Ttl, token)),
            (Store: this, Key: key, Value: value, Ttl: ttl),
            ct).AsTask();
    }

    public Task<byte[]?> GetAsync(string key, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return _pipeline.ExecuteAsync(
            static (state, token) => new ValueTask<byte[]?>(state.Store.GetOnceAsync(state.Key, token)),
            (Store: this, Key: key),
            ct).AsTask();
    }

    public Task<bool> DeleteAsync(string key, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return _pipeline.ExecuteAsync(
            static (state, token) => new ValueTask<bool>(state.Store.DeleteOnceAsync(state.Key, token)),
            (Store: this, Key: key),
            ct).AsTask();
    }

    public Task<long> CountKeysAsync(string pattern, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        return _pipeline.ExecuteAsync(
            static (state, token) => new ValueTask<long>(state.Store.CountOnceAsync(state.Pattern, token)),
            (Store: this, Pattern: pattern),
            ct).AsTask();
    }

    private static RedisKey ChunkKey(string key, int index) => $"{key}:{index}";

    private async Task SetOnceAsync(string key, ReadOnlyMemory<byte> value, TimeSpan ttl, CancellationToken ct)
    {
        if (value.Length <= _chunkSize)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(value.Length + 1);
            try
            {
                buffer[0] = InlineTag;
                value.Span.CopyTo(buffer.AsSpan(1));
                await _database.StringSetAsync(key, buffer.AsMemory(0, value.Length + 1), ttl, When.Always).WaitAsync(ct);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            return;
        }

        var chunkCount = (int)((value.Length + (long)_chunkSize - 1) / _chunkSize);
        for (var i = 0; i < chunkCount; i++)
        {
            var start = i * _chunkSize;
            var chunk = value.Slice(start, Math.Min(_chunkSize, value.Length - start));
            await _database.StringSetAsync(ChunkKey(key, i), chunk, ttl, When.Always).WaitAsync(ct);
        }

        var header = new byte[HeaderLength];
        header[0] = ChunkedTag;
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(1), chunkCount);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(5), value.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(13), XxHash64.HashToUInt64(value.Span));
        await _database.StringSetAsync(key, header, ttl, When.Always).WaitAsync(ct);
    }

    private async Task<byte[]?> GetOnceAsync(string key, CancellationToken ct)
    {
        using var head = await _database.StringGetLeaseAsync(key).WaitAsync(ct);
        if (head is null || head.Length == 0)
        {
            return null;
        }

        var tag = head.Span[0];
        if (tag == InlineTag)
        {
            return head.Span[1..].ToArray();
        }

        if (tag != ChunkedTag || head.Length != HeaderLength)
        {
            throw new InvalidDataException($"Redis key '{key}' does not hold a tensor-store value (tag 0x{tag:x2}, {head.Length} bytes).");
        }

        var chunkCount = BinaryPrimitives.ReadInt32LittleEndian(head.Span[1..]);
        var length = BinaryPrimitives.ReadInt64LittleEndian(head.Span[5..]);
        var hash = BinaryPrimitives.ReadUInt64LittleEndian(head.Span[13..]);
        if (length > Array.MaxLength)
        {
            throw new InvalidDataException($"Redis key '{key}' holds {length} bytes, more than one array can.");
        }

        var result = new byte[length];
        var offset = 0;
        for (var i = 0; i < chunkCount; i++)
        {
            using var chunk = await _database.StringGetLeaseAsync(ChunkKey(key, i)).WaitAsync(ct);
            if (chunk is null || chunk.Length > result.Length - offset)
            {
                // Expired before its header, or half overwritten: as good as missing.
                return null;
            }

            chunk.Span.CopyTo(result.AsSpan(offset));
            offset += chunk.Length;
        }

        return offset == result.Length && XxHash64.HashToUInt64(result) == hash ? result : null;
    }

    private async Task<bool> DeleteOnceAsync(string key, CancellationToken ct)
    {
        int chunkCount;
        using (var head = await _database.StringGetLeaseAsync(key).WaitAsync(ct))
        {
            chunkCount = head is { Length: HeaderLength } && head.Span[0] == ChunkedTag
                ? BinaryPrimitives.ReadInt32LittleEndian(head.Span[1..])
                : 0;
        }

        var keys = new RedisKey[chunkCount + 1];
        keys[0] = key;
        for (var i = 0; i < chunkCount; i++)
        {
            keys[i + 1] = ChunkKey(key, i);
        }

        var existed = await _database.KeyDeleteAsync(keys).WaitAsync(ct) > 0;

        // Chunks of a write that never got to its header: they are written in order, so sweep from the next index
        // until a batch comes back short.
        const int batch = 16;
        for (var next = chunkCount; ; next += batch)
        {
            var orphans = Enumerable.Range(next, batch).Select(i => ChunkKey(key, i)).ToArray();
            var deleted = await _database.KeyDeleteAsync(orphans).WaitAsync(ct);
            if (deleted < batch)
            {
                return existed || deleted > 0;
            }
        }
    }

    private async Task<long> CountOnceAsync(string pattern, CancellationToken ct)
    {
        long count = 0;
        foreach (var server in _redis.GetServers())
        {
            if (server.IsReplica || !server.IsConnected)
            {
                continue;
            }

            await foreach (var _ in server.KeysAsync(_database.Database, pattern, pageSize: 1000).WithCancellation(ct))
            {
                count++;
            }
        }

        return count;
    }
}
