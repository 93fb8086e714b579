using System.Diagnostics;
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

    public static async Task<SubmitResult> SubmitAsync(string planDir, bool dryRun, string? searchPath = null, CancellationToken ct = default)
    {
        var dir = Path.GetFullPath(planDir);
        _ = PlanFiles.Read(dir); // refuses folders that are not plans
        var script = Path.Combine(dir, PlanFiles.Sbatch);
        if (!File.Exists(script)) throw new BadInputException("the plan has no launch.sbatch", script);
        var commands = Commands(dir);
        var sbatch = FindOnPath("sbatch", searchPath);
        if (dryRun || sbatch is null)
            return new SubmitResult(commands, false, sbatch, null, sbatch is null ? "sbatch is not on PATH; run these commands on the cluster's login node" : "dry run");

        Directory.CreateDirectory(Path.Combine(dir, "slurm"));
        var psi = new ProcessStartInfo(sbatch) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir, UseShellExecute = false };
        psi.ArgumentList.Add("--parsable");
        psi.ArgumentList.Add(script);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {sbatch}");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        var output = (await stdout).Trim();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"sbatch exited with code {process.ExitCode}: {(await stderr).Trim()}");
        var id = JobId().Match(output) is { Success: true } m ? m.Groups[1].Value : null;
        if (id is not null)
            File.AppendAllText(Path.Combine(dir, "submissions.log"), $"{DateTime.UtcNow:O} job {id}\n");
        return new SubmitResult(commands, true, sbatch, id, output);
    }

    // "--parsable" prints "123" or "123;cluster"; plain sbatch prints "Submitted batch job 123".
    [GeneratedRegex(@"(?:^|Submitted batch job )(\d+)")]
    private static partial Regex JobId();
}
