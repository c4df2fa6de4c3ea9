using Microsoft.Extensions.Logging;

namespace EpdBatch.Ingest.Tests.Support;

/// <summary>Writes the ingest's log (information and up; warnings and up from elsewhere) to the test's progress output.</summary>
public sealed class TestLoggerProvider(string tag) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(tag, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(string tag, string category) : ILogger
    {
        private readonly LogLevel _minimum = category.StartsWith("EpdBatch", StringComparison.Ordinal) ? LogLevel.Information : LogLevel.Warning;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= _minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var name = category[(category.LastIndexOf('.') + 1)..];
            TestContext.Progress.WriteLine($"[{tag} {DateTime.UtcNow:HH:mm:ss.fff} {logLevel.ToString()[..4]} {name}] {formatter(state, exception)}{(exception is null ? "" : " :: " + exception.GetType().Name + ": " + exception.Message)}");
        }
    }
}
