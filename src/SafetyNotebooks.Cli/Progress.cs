using Spectre.Console;

namespace SafetyNotebooks.Cli;

/// <summary>
/// Progress display for long steps, always on the writer it is given (a command passes its error writer, so stdout
/// stays the command's result): Spectre.Console bars with rate and ETA when that writer is an interactive terminal;
/// plain lines with rate and ETA otherwise (logs, CI, pipes); with <c>--json</c>, one JSON progress event per line.
/// </summary>
public static class Progress
{
    /// <summary>Bars (not lines) on <paramref name="log"/>: no <c>--json</c>, and the writer is an interactive terminal.</summary>
    public static bool Interactive(bool json, TextWriter log) =>
        !json && TerminalColour.IsTerminal(log);

    /// <summary>
    /// Runs <paramref name="work"/> with a progress display named <paramref name="title"/> on <paramref name="log"/>;
    /// the work reports fractions in [0, 1]. <paramref name="total"/> items of <paramref name="unit"/> turn the rate into
    /// items per second.
    /// </summary>
    public static async Task<T> RunAsync<T>(string title, bool json, TextWriter log, Func<IProgress<double>, Task<T>> work,
        long? total = null, string unit = "")
    {
        if (!Interactive(json, log))
        {
            var lines = ProgressLines.Start(title, total, unit, log, json);
            var result = await work(new SyncProgress<double>(lines.Report));
            lines.Finish();
            return result;
        }
        T value = default!;
        await Bars(log).StartAsync(async ctx =>
        {
            var task = ctx.AddTask(Markup.Escape(title), maxValue: 1.0);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var reporter = new SyncProgress<double>(v =>
            {
                task.Value = Math.Clamp(v, 0, 1);
                if (ProgressText.Rate(v, clock.Elapsed, total, unit) is { } rate) task.Description = Markup.Escape($"{title} ({rate})");
            });
            value = await work(reporter);
            task.Value = 1.0;
        });
        return value;
    }

    /// <summary>Spectre.Console progress bars (description, bar, percentage, elapsed, remaining) drawn on <paramref name="terminal"/>.</summary>
    public static Spectre.Console.Progress Bars(TextWriter terminal) =>
        AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(terminal), Ansi = AnsiSupport.Yes, Interactive = InteractionSupport.Yes,
                ColorSystem = TerminalColour.Enabled(true, Environment.GetEnvironmentVariable("NO_COLOR")) ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            }).Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn());
}

/// <summary>Pure formatting of a progress state: percentage, rate and ETA.</summary>
public static class ProgressText
{
    /// <summary>Seconds left at the mean rate so far; null before any progress.</summary>
    public static double? EtaSeconds(double fraction, TimeSpan elapsed) =>
        fraction is > 0 and < 1 ? elapsed.TotalSeconds * (1 - fraction) / fraction : fraction >= 1 ? 0 : null;

    /// <summary>"12.3 documents/s" (with a total) or "1.2 %/s"; null before any progress.</summary>
    public static string? Rate(double fraction, TimeSpan elapsed, long? total, string unit)
    {
        if (fraction <= 0 || elapsed.TotalSeconds < 0.5) return null; // no rate of an instant
        var perSecond = fraction / elapsed.TotalSeconds;
        return total is { } n
            ? $"{(n * perSecond).ToString(n * perSecond >= 100 ? "N0" : "0.##", System.Globalization.CultureInfo.InvariantCulture)} {(unit.Length > 0 ? unit : "items")}/s"
            : $"{(100 * perSecond).ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)} %/s";
    }

    public static string Duration(double seconds) =>
        seconds >= 3600 ? $"{(int)(seconds / 3600)}h{(int)(seconds % 3600 / 60):00}m" : seconds >= 60 ? $"{(int)(seconds / 60)}m{(int)(seconds % 60):00}s" : $"{seconds:0}s";

    /// <summary>One log line: "title: 42% (420/1000 documents), 35 documents/s, elapsed 12s, ETA 17s".</summary>
    public static string Line(string title, double fraction, TimeSpan elapsed, long? total, string unit)
    {
        var f = Math.Clamp(fraction, 0, 1);
        var sb = new System.Text.StringBuilder($"{title}: {100 * f:0}%");
        if (total is { } n) sb.Append($" ({(long)Math.Round(f * n)}/{n}{(unit.Length > 0 ? " " + unit : "")})");
        if (Rate(f, elapsed, total, unit) is { } rate) sb.Append(", ").Append(rate);
        sb.Append(", elapsed ").Append(Duration(elapsed.TotalSeconds));
        if (f < 1 && EtaSeconds(f, elapsed) is { } eta) sb.Append(", ETA ").Append(Duration(eta));
        return sb.ToString();
    }

    /// <summary>One JSON progress event (a line on stderr under --json).</summary>
    public static string Event(string stage, double fraction, TimeSpan elapsed, long? total, string unit)
    {
        var f = Math.Clamp(fraction, 0, 1);
        var eta = EtaSeconds(f, elapsed);
        return System.Text.Json.JsonSerializer.Serialize(new
        {
            @event = "progress", stage, fraction = Math.Round(f, 4), elapsed_s = Math.Round(elapsed.TotalSeconds, 2),
            eta_s = eta is { } e ? Math.Round(e, 1) : (double?)null,
            done = total is { } n ? (long?)Math.Round(f * n) : null, total, unit = unit.Length > 0 ? unit : null,
        });
    }
}

/// <summary>
/// Line-based progress for non-terminals: a line at the start, then whenever 10% more is done or 15 s have passed
/// (at most one line per second), and one at the end, so a log shows steady signs of life without flooding.
/// </summary>
public sealed class ProgressLines
{
    readonly string _title, _unit;
    readonly long? _total;
    readonly TextWriter _writer;
    readonly bool _json;
    readonly Func<TimeSpan> _clock;
    readonly object _gate = new();
    double _lastFraction = -1;
    TimeSpan _lastTime = TimeSpan.MinValue;
    bool _finished;

    public ProgressLines(string title, long? total, string unit, TextWriter writer, bool json, Func<TimeSpan> clock)
    {
        (_title, _total, _unit, _writer, _json, _clock) = (title, total, unit, writer, json, clock);
    }

    public static ProgressLines Start(string title, long? total, string unit, TextWriter writer, bool json)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var lines = new ProgressLines(title, total, unit, writer, json, () => sw.Elapsed);
        lines.Report(0);
        return lines;
    }

    public void Report(double fraction)
    {
        lock (_gate)
        {
            if (_finished || _lastFraction >= 1) return; // nothing after 100%
            var now = _clock();
            var due = _lastFraction < 0
                      || (fraction >= 1 && _lastFraction < 1)
                      || (now - _lastTime >= TimeSpan.FromSeconds(1) && (fraction - _lastFraction >= 0.1 - 1e-9 || now - _lastTime >= TimeSpan.FromSeconds(15)));
            if (!due) return;
            _lastFraction = fraction;
            _lastTime = now;
            _writer.WriteLine(_json ? ProgressText.Event(_title, fraction, now, _total, _unit) : ProgressText.Line(_title, fraction, now, _total, _unit));
            _writer.Flush();
        }
    }

    public void Finish()
    {
        Report(1);
        lock (_gate) _finished = true;
    }
}

/// <summary>Finds the repository's folders (notebooks/, data-manifests/) from the current directory or the tool's own location.</summary>
public static class RepoLayout
{
    public static string? FindRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "SafetyNotebooks.sln"))) return dir.FullName;
        }
        return null;
    }

    public static string NotebooksDir() =>
        FindRoot() is { } root ? Path.Combine(root, "notebooks")
        : throw new BadInputException("cannot find the notebooks/ folder: run inside the SafetyNotebooks repository or pass notebook paths", "notebooks");
}

/// <summary>
/// Whether the CLI may colour what it writes: only on a terminal, and never when NO_COLOR is set (no-color.org), so a
/// file or pipe gets plain text. Spectre.Console alone decides from TERM, which a redirected stdout still carries.
/// </summary>
public static class TerminalColour
{
    public static bool Enabled(bool outputIsTerminal, string? noColor) => outputIsTerminal && string.IsNullOrEmpty(noColor);

    /// <summary>The writer is the CLI's own stdout or stderr (its redacting writer), and that stream is a terminal, not redirected.</summary>
    public static bool IsTerminal(TextWriter output) => output is RedactingTextWriter { IsTerminal: true };

    /// <summary>A Spectre.Console writing to <paramref name="output"/>: ANSI and colours on a terminal, plain text otherwise.</summary>
    public static IAnsiConsole ConsoleFor(TextWriter output)
    {
        var colour = Enabled(IsTerminal(output), Environment.GetEnvironmentVariable("NO_COLOR"));
        return AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = colour ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = colour ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = colour ? InteractionSupport.Detect : InteractionSupport.No,
        });
    }
}
