using System.Text;

namespace EpdBatch.Pipeline;

/// <summary>
/// A <see cref="TextWriter"/> that passes every string written through <see cref="SecretRedactor.Redact"/> on its
/// way to the inner writer. The CLI wraps its standard output and error in it, so that whatever reaches them — its
/// own messages, the console logger, a library's log line, an exception's text under <c>--verbose</c> — goes out
/// without secrets. Strings are redacted one write at a time (a logger writes an entry in one call); the process's
/// own secrets (<see cref="SecretRedactor.RememberSecretsOf"/>) are masked even when a write holds nothing else.
/// </summary>
public sealed class RedactingTextWriter : TextWriter
{
    private readonly TextWriter _inner;

    private RedactingTextWriter(TextWriter inner)
    {
        _inner = inner;
    }

    public override Encoding Encoding => _inner.Encoding;

    public override IFormatProvider FormatProvider => _inner.FormatProvider;

    [System.Diagnostics.CodeAnalysis.AllowNull]
    public override string NewLine
    {
        get => _inner.NewLine;
        set => _inner.NewLine = value;
    }

    /// <summary>Wraps <paramref name="inner"/>, thread-safe as <see cref="Console.Out"/> is.</summary>
    public static TextWriter Wrap(TextWriter inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        return Synchronized(new RedactingTextWriter(inner));
    }

    public override void Write(char value) => _inner.Write(value);

    public override void Write(string? value) => _inner.Write(SecretRedactor.Redact(value));

    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

    public override void Write(ReadOnlySpan<char> buffer) => Write(new string(buffer));

    public override void WriteLine(string? value) => _inner.WriteLine(SecretRedactor.Redact(value));

    public override void WriteLine(ReadOnlySpan<char> buffer) => WriteLine(new string(buffer));

    public override void Flush() => _inner.Flush();

    public override Task FlushAsync() => _inner.FlushAsync();

    public override Task WriteAsync(string? value) => _inner.WriteAsync(SecretRedactor.Redact(value));

    public override Task WriteAsync(char[] buffer, int index, int count) => WriteAsync(new string(buffer, index, count));

    public override Task WriteLineAsync(string? value) => _inner.WriteLineAsync(SecretRedactor.Redact(value));
}
