using System.Globalization;
using System.Text.RegularExpressions;

namespace SafetyNotebooks.Launch;

/// <summary>
/// One SLURM job as the controller reports it. <paramref name="ExitCode"/> is SLURM's "code:signal";
/// <paramref name="Restarts"/> counts requeues; <paramref name="Log"/> is the job's stdout file when known.
/// <paramref name="Source"/> says where the record came from: "scontrol" (live or recently ended) or "jobcomp"
/// (the controller's completion log, for jobs it has already forgotten).
/// </summary>
public sealed record SlurmJob(
    string JobId,
    string? Name,
    string State,
    string? Reason,
    string? ExitCode,
    int Restarts,
    string? Elapsed,
    string? Log,
    string Source)
{
    static readonly HashSet<string> Waiting = ["PENDING", "CONFIGURING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD", "SUSPENDED", "STOPPED", "RESIZING", "SIGNALING", "STAGE_OUT"];

    public bool Running => State is "RUNNING" or "COMPLETING";
    public bool Ended => !Running && !Waiting.Contains(State);
    public bool Completed => State == "COMPLETED";

    /// <summary>Ended without completing: failed, timed out, cancelled, out of memory, node failure, …</summary>
    public bool Failed => Ended && !Completed;
}

/// <summary>
/// Asks SLURM about jobs: <c>scontrol show job -o</c> while the controller remembers a job (MinJobAge after it ends),
/// then <c>sacct</c> where the cluster keeps accounting (slurmdbd), then the <c>jobcomp/filetxt</c> completion log.
/// </summary>
public static partial class SlurmJobs
{
    /// <summary>The job, or null when SLURM knows nothing of it.</summary>
    public static async Task<SlurmJob?> FindAsync(string jobId, string? searchPath = null, CancellationToken ct = default)
    {
        if (!JobIdPattern().IsMatch(jobId)) throw new BadInputException("expected a SLURM job id (digits, or ID_TASK for an array task)", "--job", value: jobId);
        var show = await SlurmClient.RunAsync("scontrol", ["show", "job", "-o", jobId], searchPath, ct: ct);
        if (show.Ok && ParseScontrol(show.Out).FirstOrDefault() is { } live) return live;
        if (!show.Ok && !show.Message.Contains("Invalid job id", StringComparison.OrdinalIgnoreCase))
            throw new IOException($"scontrol show job {jobId} failed: {show.Message}");
        if (SlurmClient.Find("sacct", searchPath) is not null)
        {
            // Clusters with accounting (slurmdbd) remember every job; without it sacct exits non-zero and is skipped.
            var acct = await SlurmClient.RunAsync("sacct", ["-j", jobId, "-X", "-D", "-n", "-P", "-o", SacctFormat], searchPath, ct: ct);
            if (acct.Ok && ParseSacct(acct.Out) is { } accounted) return accounted;
        }
        var config = await SlurmClient.RunAsync("scontrol", ["show", "config"], searchPath, ct: ct);
        var location = JobCompFile(config.Out);
        return location is not null && File.Exists(location) ? ParseJobComp(File.ReadLines(location), jobId) : null;
    }

    /// <summary>
    /// Every task of a job as the controller lists them (an array's pending tasks may share one record; a plain job is
    /// one); empty when the controller no longer knows the job.
    /// </summary>
    public static async Task<IReadOnlyList<SlurmJob>> TasksAsync(string jobId, string? searchPath = null, CancellationToken ct = default)
    {
        if (!JobIdPattern().IsMatch(jobId)) throw new BadInputException("expected a SLURM job id", "--job", value: jobId);
        var show = await SlurmClient.RunAsync("scontrol", ["show", "job", "-o", jobId], searchPath, ct: ct);
        if (!show.Ok && !show.Message.Contains("Invalid job id", StringComparison.OrdinalIgnoreCase))
            throw new IOException($"scontrol show job {jobId} failed: {show.Message}");
        return show.Ok ? ParseScontrol(show.Out).ToList() : [];
    }

    /// <summary>Cancels a job with <c>scancel</c>.</summary>
    public static async Task CancelAsync(string jobId, string? searchPath = null, CancellationToken ct = default)
    {
        if (!JobIdPattern().IsMatch(jobId)) throw new BadInputException("expected a SLURM job id", "--job", value: jobId);
        var r = await SlurmClient.RunAsync("scancel", [jobId], searchPath, ct: ct);
        if (!r.Ok) throw new BadInputException($"scancel refused: {r.Message}", "--job", value: jobId);
    }

    /// <summary>Pure: the key=value fields of one line of <c>scontrol -o</c> or of the jobcomp log.</summary>
    public static Dictionary<string, string> Fields(string line)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match m in FieldPattern().Matches(line)) fields[m.Groups[1].Value] = m.Groups[2].Value;
        return fields;
    }

    /// <summary>
    /// Pure: jobs from <c>scontrol show job -o</c> output (one line per job or array task). An array task is named
    /// ARRAYID_TASK (ARRAYID_1-3%1 for tasks still pending together), as sbatch's %A_%a log names are.
    /// </summary>
    public static IEnumerable<SlurmJob> ParseScontrol(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(Fields).Where(f => f.ContainsKey("JobId") && f.ContainsKey("JobState"))
            .Select(f => new SlurmJob(Get(f, "ArrayJobId") is { } array ? $"{array}_{Get(f, "ArrayTaskId")}" : f["JobId"], Get(f, "JobName"), f["JobState"], Get(f, "Reason"), Get(f, "ExitCode"),
                int.TryParse(Get(f, "Restarts"), out var n) ? n : 0, Get(f, "RunTime"), Get(f, "StdOut"), "scontrol"));

    /// <summary>Pure: the last completion record of <paramref name="jobId"/> in a jobcomp/filetxt log.</summary>
    public static SlurmJob? ParseJobComp(IEnumerable<string> lines, string jobId) =>
        lines.Select(Fields).Where(f => Get(f, "JobId") == jobId && f.ContainsKey("JobState")).Select(f =>
                new SlurmJob(jobId, Get(f, "Name"), f["JobState"], null, Get(f, "ExitCode"), 0, Elapsed(Get(f, "StartTime"), Get(f, "EndTime")), null, "jobcomp"))
            .LastOrDefault();

    /// <summary>The sacct columns <see cref="ParseSacct"/> reads, in order.</summary>
    public const string SacctFormat = "JobID,JobName,State,Reason,ExitCode,Elapsed,StdOut";

    /// <summary>Pure: the job from <c>sacct -X -D -n -P -o SacctFormat</c>: one line per run of a requeued job, the newest last.</summary>
    public static SlurmJob? ParseSacct(string output)
    {
        var rows = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(l => l.Split('|')).Where(c => c.Length >= 6).ToList();
        if (rows.Count == 0) return null;
        var c = rows[^1];
        string? Cell(int i) => i < c.Length && c[i].Length > 0 && c[i] != "None" ? c[i] : null;
        // sacct writes "CANCELLED by 0": the state is the first word.
        return new SlurmJob(c[0], Cell(1), c[2].Split(' ')[0], Cell(3), Cell(4), rows.Count - 1, Cell(5), Cell(6), "sacct");
    }

    /// <summary>Pure: JobCompLoc from <c>scontrol show config</c> when JobCompType is jobcomp/filetxt.</summary>
    public static string? JobCompFile(string config)
    {
        var lines = config.Split('\n').Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.Ordinal);
        return lines.TryGetValue("JobCompType", out var type) && type == "jobcomp/filetxt" && lines.TryGetValue("JobCompLoc", out var loc) ? loc : null;
    }

    static string? Get(Dictionary<string, string> f, string key) =>
        f.TryGetValue(key, out var v) && v.Length > 0 && v != "(null)" && v != "None" ? v : null;

    static string? Elapsed(string? start, string? end) =>
        DateTime.TryParse(start, CultureInfo.InvariantCulture, out var s) && DateTime.TryParse(end, CultureInfo.InvariantCulture, out var e) && e >= s ? (e - s).ToString(@"hh\:mm\:ss") : null;

    // Values never hold spaces in SLURM's -o output except the few free-text fields, which are not read here.
    [GeneratedRegex(@"(?:^|\s)([A-Za-z][A-Za-z0-9_/:]*)=(\S*)")]
    private static partial Regex FieldPattern();

    [GeneratedRegex(@"^\d{1,12}(?:_\d{1,7})?$")]
    private static partial Regex JobIdPattern();
}
