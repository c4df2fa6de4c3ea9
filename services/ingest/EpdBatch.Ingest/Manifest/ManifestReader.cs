using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;
using EpdBatch.Pipeline.Storage;

namespace EpdBatch.Ingest.Manifest;

/// <summary>
/// Streams a JSONL manifest: splits it into lines at the byte level (a line longer than
/// <see cref="IngestOptions.MaxLineBytes"/> is rejected without being buffered whole), checks each line's bytes
/// (a UTF-8 BOM on line 1 is skipped, anywhere else it is an error; bytes that are not UTF-8 are an error, with
/// their offset), skips blank lines, and parses the rest with <see cref="ManifestLineParser"/>. Memory stays
/// bounded by the longest line plus the custom ids seen, whatever the manifest's size.
/// </summary>
public sealed class ManifestReader
{
    private const int InitialBufferBytes = 64 * 1024;

    private readonly int _maxLineBytes;
    private readonly ManifestLineParser _parser;

    public ManifestReader(IngestOptions options, MediaAccessPolicy media, int defaultMaxTokens)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(media);
        _maxLineBytes = options.MaxLineBytes;
        _parser = new ManifestLineParser(options, media, defaultMaxTokens);
    }

    /// <summary>The manifest's format, once a valid line has decided it.</summary>
    public ManifestFormat Format => _parser.Format;

    /// <summary>Lines read so far, blank ones included.</summary>
    public int Lines { get; private set; }

    /// <summary>Every non-blank line, valid or not, in order.</summary>
    public async IAsyncEnumerable<ManifestEntry> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stream);

        // Room for the longest line, its "\r\n" and one byte more, to tell "too long" from "exactly at the limit".
        var capacityLimit = _maxLineBytes + 3;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(InitialBufferBytes, capacityLimit));
        var entries = new List<ManifestEntry>();
        try
        {
            int start = 0, end = 0;
            var skippingLongLine = false;
            var endOfStream = false;
            while (true)
            {
                var newline = buffer.AsSpan(start, end - start).IndexOf((byte)'\n');
                if (newline >= 0)
                {
                    ReadLine(buffer.AsMemory(start, newline), skippingLongLine, entries);
                    skippingLongLine = false;
                    start += newline + 1;
                }
                else if (endOfStream)
                {
                    if (end > start || skippingLongLine)
                    {
                        ReadLine(buffer.AsMemory(start, end - start), skippingLongLine, entries);
                    }

                    foreach (var entry in entries)
                    {
                        yield return entry;
                    }

                    yield break;
                }
                else
                {
                    if (end - start > _maxLineBytes + 1)
                    {
                        // Longer than any valid line even with its "\r": drop what is buffered and the rest of the line.
                        skippingLongLine = true;
                        start = end = 0;
                    }
                    else if (start > 0)
                    {
                        buffer.AsSpan(start, end - start).CopyTo(buffer);
                        end -= start;
                        start = 0;
                    }

                    if (end == buffer.Length)
                    {
                        var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, capacityLimit));
                        buffer.AsSpan(0, end).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }

                    foreach (var entry in entries)
                    {
                        yield return entry;
                    }

                    entries.Clear();
                    var read = await stream.ReadAsync(buffer.AsMemory(end), ct);
                    if (read == 0)
                    {
                        endOfStream = true;
                    }

                    end += read;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void ReadLine(ReadOnlyMemory<byte> line, bool tooLong, List<ManifestEntry> entries)
    {
        var number = ++Lines;
        var bytes = line;
        if (bytes.Span is [.., (byte)'\r'])
        {
            bytes = bytes[..^1];
        }

        if (tooLong || bytes.Length > _maxLineBytes)
        {
            entries.Add(Error(number, ManifestErrorCodes.LineTooLong, $"the line is longer than {_maxLineBytes} bytes"));
            return;
        }

        if (bytes.Span.StartsWith("\uFEFF"u8))
        {
            if (number != 1)
            {
                entries.Add(Error(number, ManifestErrorCodes.UnexpectedBom, "a UTF-8 byte order mark in the middle of the file (were two files concatenated?)"));
                return;
            }

            bytes = bytes[3..];
        }

        if (!Utf8.IsValid(bytes.Span))
        {
            entries.Add(Error(number, ManifestErrorCodes.InvalidUtf8, $"the line is not UTF-8: invalid bytes at byte {InvalidOffset(bytes.Span) + 1}"));
            return;
        }

        if (bytes.Span.TrimStart(" \t\r"u8).IsEmpty)
        {
            return;
        }

        entries.Add(_parser.Parse(number, bytes));
    }

    private static int InvalidOffset(ReadOnlySpan<byte> bytes)
    {
        var offset = 0;
        while (offset < bytes.Length && Rune.DecodeFromUtf8(bytes[offset..], out _, out var consumed) == OperationStatus.Done)
        {
            offset += consumed;
        }

        return offset;
    }

    private static ManifestEntry Error(int line, string code, string message) => new(null, new ManifestLineError(line, null, code, message));
}
