using System.Text.RegularExpressions;

namespace SafetyNotebooks.Launch;

/// <summary>What <c>safetynb launch submit</c> did: the exact commands, and the job id when sbatch ran.</summary>
public sealed record SubmitResult(IReadOnlyList<string> Commands, bool Submitted, string? SbatchPath, string? JobId, string Output);

/// <summary>Submits a plan's launch.sbatch with SLURM's <c>sbatch</c>, or prints the commands where SLURM is absent.</summary>
public static partial class Submission
{
    /// <summary>The commands that submit the plan in <paramref name="planDir"/>.</summary>
    public static IReadOnlyList<string> Commands(string planDir)
    {
        var dir = Path.GetFullPath(planDir);
        return [$"mkdir -p {SlurmScript.Quote(Path.Combine(dir, "slurm"))}", $"sbatch --parsable {SlurmScript.Quote(Path.Combine(dir, PlanFiles.Sbatch))}"];
    }

    /// <summary>First executable named <paramref name="name"/> on <paramref name="path"/> (PATH when null).</summary>
    public static string? FindOnPath(string name, string? path = null)
    {
        foreach (var dir in (path ?? Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate) && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0))
                return candidate;
        }
        return null;
    }

    /// <summary>
    /// Submits the plan's launch.sbatch (after checking its header values again). A script sbatch refuses is a
    /// <see cref="BadInputException"/> carrying sbatch's own message.
    /// </summary>
    public static async Task<SubmitResult> SubmitAsync(string planDir, bool dryRun, string? searchPath = null,
        IReadOnlyDictionary<string, string>? environment = null, CancellationToken ct = default)
    {
        var dir = Path.GetFullPath(planDir);
        var plan = PlanFiles.Read(dir); // refuses folders that are not plans
        SbatchValues.Check(plan.Request.Sbatch);
        var script = Path.Combine(dir, PlanFiles.Sbatch);
        if (!File.Exists(script)) throw new BadInputException("the plan has no launch.sbatch", script);
        var commands = Commands(dir);
        var sbatch = FindOnPath("sbatch", searchPath);
        if (dryRun || sbatch is null)
            return new SubmitResult(commands, false, sbatch, null, sbatch is null ? "sbatch is not on PATH; run these commands on the cluster's login node" : "dry run");

        Directory.CreateDirectory(Path.Combine(dir, "slurm"));
        var (id, output) = await SubmitScriptAsync(script, dir, searchPath, environment, ct);
        if (id is not null)
            File.AppendAllText(Path.Combine(dir, SubmissionsLog), $"{DateTime.UtcNow:O} job {id}\n");
        return new SubmitResult(commands, true, sbatch, id, output);
    }

    /// <summary>Runs <c>sbatch --parsable</c> on a script; a refusal is a <see cref="BadInputException"/> with sbatch's message.</summary>
    public static async Task<(string? JobId, string Output)> SubmitScriptAsync(string script, string workingDirectory, string? searchPath = null,
        IReadOnlyDictionary<string, string>? environment = null, CancellationToken ct = default)
    {
        var reply = await SlurmClient.RunAsync("sbatch", ["--parsable", script], searchPath, environment, workingDirectory, ct);
        if (!reply.Ok)
            throw new BadInputException($"sbatch refused the script (exit code {reply.Code}): {reply.Message}", script);
        var output = reply.Out.Trim();
        return (ParseJobId(output), output);
    }

    /// <summary>The plan folder's record of submitted job ids, one line each, newest last.</summary>
    public const string SubmissionsLog = "submissions.log";

    /// <summary>The newest job id recorded in the plan's submissions.log, or null.</summary>
    public static string? LastJobId(string planDir)
    {
        var log = Path.Combine(Path.GetFullPath(planDir), SubmissionsLog);
        return File.Exists(log) ? File.ReadLines(log).Select(l => JobLine().Match(l)).LastOrDefault(m => m.Success)?.Groups[1].Value : null;
    }

    /// <summary>Pure: the job id sbatch printed, or null.</summary>
    public static string? ParseJobId(string output) => JobId().Match(output) is { Success: true } m ? m.Groups[1].Value : null;

    [GeneratedRegex(@" job (\d+)$")]
    private static partial Regex JobLine();

    // "--parsable" prints "123" or "123;cluster"; plain sbatch prints "Submitted batch job 123".
    [GeneratedRegex(@"(?:^|Submitted batch job )(\d+)")]
    private static partial Regex JobId();
}
