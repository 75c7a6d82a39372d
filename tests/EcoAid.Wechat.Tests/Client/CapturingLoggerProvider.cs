using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace EcoAid.Wechat.Tests.Client;

/// <summary>Keeps everything logged through it, at every level, as text: message, state values and exception.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedLog> entries = new();

    public IReadOnlyList<CapturedLog> Entries => [.. entries];

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, entries);

    public void Dispose()
    {
    }

    private sealed class CapturingLogger(string category, ConcurrentQueue<CapturedLog> sink) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull
        {
            sink.Enqueue(new CapturedLog(category, LogLevel.None, "scope", state.ToString() ?? "", []));
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? pairs.Select(p => $"{p.Key}={p.Value}").ToList()
                : [];
            if (exception is not null)
            {
                values.Add(exception.ToString());
            }
            sink.Enqueue(new CapturedLog(category, logLevel, eventId.ToString(), formatter(state, exception), values));
        }
    }
}

/// <summary>One captured log call.</summary>
public sealed record CapturedLog(string Category, LogLevel Level, string EventId, string Message, IReadOnlyList<string> Details)
{
    /// <summary>Everything the entry would put in a log sink.</summary>
    public string AllText => string.Join('\n', [Category, EventId, Message, .. Details]);
}
