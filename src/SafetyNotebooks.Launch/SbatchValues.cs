using System.Globalization;
using System.Text.RegularExpressions;

namespace SafetyNotebooks.Launch;

/// <summary>
/// The user-chosen values of an <c>#SBATCH</c> header. Each is checked by <see cref="SbatchValues.Check"/> before it is
/// written into a script: an unchecked newline in a partition name would become a shell command of the batch job.
/// <paramref name="RequeueMarginSeconds"/> is how long before the time limit the job is signalled to requeue itself
/// (0: no signal, as for array tasks, which resume from their finished files instead).
/// </summary>
public sealed record SbatchResources(
    string JobName,
    string TimeLimit,
    string? Partition = null,
    string? Account = null,
    int CpusPerTask = 1,
    string? Memory = null,
    int RequeueMarginSeconds = 0);

/// <summary>The one validation of sbatch values, shared by <c>launch plan</c> and <c>slurm array</c>.</summary>
public static partial class SbatchValues
{
    /// <summary>Returns <paramref name="r"/> when every value is safe and meaningful to SLURM; else names the option and value.</summary>
    public static SbatchResources Check(SbatchResources r)
    {
        Name(r.JobName, "--job-name");
        if (r.Partition is not null) Name(r.Partition, "--partition", list: true);
        if (r.Account is not null) Name(r.Account, "--account");
        Positive(r.CpusPerTask, "--cpus-per-task");
        if (r.Memory is not null && !MemoryPattern().IsMatch(r.Memory))
            throw new BadInputException("expected a memory size such as 16G, 4000M or 0 (all of the node's memory)", "--mem", value: Shown(r.Memory));
        if (r.RequeueMarginSeconds < 0)
            throw new BadInputException("must be ≥ 0 seconds", "--requeue-margin", value: r.RequeueMarginSeconds.ToString(CultureInfo.InvariantCulture));
        var seconds = TimeSeconds(r.TimeLimit, "--time");
        if (r.RequeueMarginSeconds > 0 && seconds <= r.RequeueMarginSeconds)
            throw new BadInputException($"the job requeues itself {r.RequeueMarginSeconds} s before its time limit, so a limit of {seconds} s would requeue it at every start; " +
                                        "ask for more time or a smaller --requeue-margin", "--time", value: r.TimeLimit);
        return r;
    }

    /// <summary>A count that must be at least 1.</summary>
    public static int Positive(int value, string option) =>
        value >= 1 ? value : throw new BadInputException("must be at least 1", option, value: value.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// A job, partition or account name: letters, digits and <c>._+-</c> (partitions may list several with commas).
    /// Control characters, spaces and shell metacharacters are refused.
    /// </summary>
    public static string Name(string value, string option, bool list = false)
    {
        var ok = value.Length is > 0 and <= 200 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '+' or '-' || (list && c == ','))
                 && !value.StartsWith('-') && !value.Split(',').Any(p => p.Length == 0);
        return ok ? value : throw new BadInputException($"expected letters, digits and . _ + -{(list ? " (several separated by commas)" : "")}; " +
                                                        "control characters, spaces and shell metacharacters are refused", option, value: Shown(value));
    }

    /// <summary>
    /// Seconds of a SLURM time limit: <c>M</c>, <c>M:S</c>, <c>H:M:S</c>, <c>D-H</c>, <c>D-H:M</c> or <c>D-H:M:S</c>
    /// (minutes and seconds below 60, hours below 24 after a day count). "INFINITE"/"UNLIMITED" are refused: the
    /// requeue signal needs a limit.
    /// </summary>
    public static long TimeSeconds(string value, string option)
    {
        var m = TimePattern().Match(value);
        if (!m.Success)
            throw new BadInputException("expected a SLURM time limit: MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS (e.g. 2-00:00:00)", option, value: Shown(value));
        static long G(Match m, string name) => m.Groups[name].Success ? long.Parse(m.Groups[name].Value, CultureInfo.InvariantCulture) : 0;
        long seconds;
        if (m.Groups["d"].Success)
        {
            long d = G(m, "d"), h = G(m, "dh"), min = G(m, "dm"), s = G(m, "ds");
            if (h > 23 || min > 59 || s > 59) throw new BadInputException("hours must be below 24 and minutes and seconds below 60 after a day count", option, value: value);
            seconds = ((d * 24 + h) * 60 + min) * 60 + s;
        }
        else
        {
            var parts = value.Split(':').Select(p => long.Parse(p, CultureInfo.InvariantCulture)).ToArray();
            if (parts.Skip(1).Any(p => p > 59)) throw new BadInputException("minutes and seconds must be below 60", option, value: value);
            seconds = parts.Length switch
            {
                1 => parts[0] * 60,
                2 => parts[0] * 60 + parts[1],
                _ => (parts[0] * 60 + parts[1]) * 60 + parts[2],
            };
        }
        return seconds >= 1 ? seconds : throw new BadInputException("the time limit must be at least one second", option, value: value);
    }

    /// <summary>A path for an #SBATCH line, which ends at a newline and has no quoting: no spaces or control characters.</summary>
    public static string LinePath(string path, string option) =>
        path.All(c => !char.IsControl(c) && c != ' ') ? path
            : throw new BadInputException("an #SBATCH line cannot carry a path with a space or control character", option, value: Shown(path));

    // Control characters are shown escaped, so the message itself cannot inject a line into a terminal or log.
    static string Shown(string value) => string.Concat(value.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));

    [GeneratedRegex(@"^(?:(?<d>\d{1,4})-(?<dh>\d{1,2})(?::(?<dm>\d{1,2})(?::(?<ds>\d{1,2}))?)?|\d{1,7}(?::\d{1,2}){0,2})$")]
    private static partial Regex TimePattern();

    [GeneratedRegex(@"^\d{1,9}[KMGT]?$")]
    private static partial Regex MemoryPattern();
}
