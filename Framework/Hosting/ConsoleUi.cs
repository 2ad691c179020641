using Microsoft.Extensions.Logging;
using Spectre.Console;
using Condensa.Runtime;

namespace Condensa.Hosting;

/// <summary>
/// Console and run-log output: plain timestamped lines (through Spectre.Console, so they print above a live progress
/// bar on a terminal), mirrored to the run directory's log file once one is attached.
/// </summary>
internal sealed class ConsoleLoggerProvider : ILoggerProvider
{
    private readonly object _gate = new();
    private StreamWriter? _file;

    public LogLevel MinimumLevel { get; set; } = LogLevel.Information;

    public void AttachFile(string path)
    {
        lock (_gate)
        {
            _file?.Dispose();
            _file = new StreamWriter(path, append: true) { AutoFlush = true };
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
        lock (_gate) { _file?.Dispose(); _file = null; }
    }

    private void Write(LogLevel level, string message)
    {
        var stamp = DateTime.Now.ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        var prefix = level >= LogLevel.Warning ? (level >= LogLevel.Error ? "error: " : "warning: ") : "";
        lock (_gate)
        {
            var line = $"{stamp} {prefix}{message}";
            if (Console.IsOutputRedirected) Console.Out.WriteLine(line); // no wrapping at 80 columns in logs and CI
            else if (level >= LogLevel.Warning) AnsiConsole.MarkupLineInterpolated($"[yellow]{line}[/]");
            else AnsiConsole.MarkupLineInterpolated($"[grey]{stamp}[/] {message}");
            _file?.WriteLine(line);
        }
    }

    private sealed class Logger(ConsoleLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= owner.MinimumLevel;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            owner.Write(logLevel, formatter(state, exception) + (exception is null ? "" : Environment.NewLine + exception));
        }
    }
}

/// <summary>Live progress bars on an interactive terminal (Spectre.Console).</summary>
internal sealed class SpectreProgressSink(ProgressContext context) : IProgressSink
{
    public IProgressTask Start(string description, double total) => new Task(context.AddTask(Markup.Escape(description), maxValue: Math.Max(total, 1e-9)), description);

    private sealed class Task(ProgressTask task, string description) : IProgressTask
    {
        public void Increment(double amount = 1) => task.Increment(amount);
        public void Status(string status) => task.Description = Markup.Escape($"{description} {status}");
        public void Dispose() => task.StopTask();
    }
}

/// <summary>Without a terminal (CI, redirected output): a plain line every <c>interval</c> and at the end, with ETA.</summary>
internal sealed class PlainProgressSink(ILogger log, TimeSpan interval) : IProgressSink
{
    public IProgressTask Start(string description, double total) => new Task(log, interval, description, total);

    private sealed class Task(ILogger log, TimeSpan interval, string description, double total) : IProgressTask
    {
        private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
        private TimeSpan _last = TimeSpan.Zero;
        private double _done;
        private string _status = "";

        public void Increment(double amount = 1)
        {
            _done += amount;
            if (_clock.Elapsed - _last >= interval && _done < total)
            {
                _last = _clock.Elapsed;
                var eta = _done > 0 ? TimeSpan.FromSeconds(_clock.Elapsed.TotalSeconds * (total - _done) / _done) : TimeSpan.Zero;
                log.LogInformation("{Description}: {Done}/{Total} ({Percent:0}%) {Status} ETA {Eta:hh\\:mm\\:ss}", description, _done, total, 100 * _done / total, _status, eta);
            }
        }

        public void Status(string status) => _status = status;
        public void Dispose() { }
    }
}
