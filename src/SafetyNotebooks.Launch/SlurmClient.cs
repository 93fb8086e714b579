using System.Diagnostics;

namespace SafetyNotebooks.Launch;

/// <summary>What a SLURM client command (sbatch, squeue, scontrol, scancel) answered.</summary>
public sealed record SlurmReply(int Code, string Out, string Err)
{
    public bool Ok => Code == 0;

    /// <summary>The command's own words for a failure (stderr, else stdout), on one line.</summary>
    public string Message => string.Join(" ", (Err.Trim().Length > 0 ? Err : Out).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}

/// <summary>
/// Runs SLURM's client commands, found on <c>PATH</c> (or <paramref name="searchPath"/>). Arguments are passed as an
/// argument list, never through a shell. <c>environment</c> entries are added to the command's environment; sbatch
/// hands its whole environment to the job (<c>--export=ALL</c>, SLURM's default).
/// </summary>
public static class SlurmClient
{
    /// <summary>The executable, or null when SLURM's clients are not installed here.</summary>
    public static string? Find(string tool, string? searchPath = null) => Submission.FindOnPath(tool, searchPath);

    public static async Task<SlurmReply> RunAsync(string tool, IEnumerable<string> args, string? searchPath = null,
        IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null, CancellationToken ct = default)
    {
        var exe = Find(tool, searchPath) ?? throw new BadInputException($"{tool} is not on PATH: run this on a SLURM login node (or install slurm-client)", tool);
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null) psi.WorkingDirectory = workingDirectory;
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (environment is not null) foreach (var (k, v) in environment) psi.Environment[k] = v;
        using var process = Process.Start(psi) ?? throw new IOException($"could not start {exe}");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return new SlurmReply(process.ExitCode, await stdout, await stderr);
    }
}
