using System.Diagnostics;
using SafetyNotebooks.Launch;

namespace SafetyNotebooks.Tests.Slurm;

/// <summary>
/// The SLURM cluster the "Slurm" tests run on: the one .ci/services.d/slurm.sh starts (via .ci/setup-machine.sh,
/// which `dotnet test` runs first), or any cluster whose clients are on PATH. Without one the tests are skipped
/// with the reason, except under CI (CI=true), where a missing cluster fails them.
/// </summary>
public static class SlurmCluster
{
    static readonly Lazy<string?> Missing = new(Probe);

    /// <summary>Why the cluster cannot be used, or null when it answers.</summary>
    public static string? Problem => Missing.Value;

    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    static string? Probe()
    {
        foreach (var tool in new[] { "sbatch", "squeue", "scontrol", "scancel", "sinfo" })
            if (Submission.FindOnPath(tool) is null)
                return $"{tool} is not on PATH (install the Debian packages slurm-wlm and munge, then run `bash .ci/services.d/slurm.sh start`)";
        var ping = Run("scontrol", "ping");
        if (ping.Code != 0 || !ping.Out.Contains("UP", StringComparison.Ordinal))
            return $"no SLURM controller answers (`scontrol ping`: {ping.Out.Trim()} {ping.Err.Trim()}); start the test cluster with `bash .ci/services.d/slurm.sh start`";
        var nodes = Run("sinfo", "-h", "-N", "-o", "%t");
        if (!nodes.Out.Split('\n').Any(s => s.Trim() is "idle" or "mix" or "alloc" or "comp"))
            return $"the SLURM controller has no usable node (sinfo: {nodes.Out.Trim()})";
        return null;
    }

    /// <summary>First statement of every cluster test: fails with the reason when the cluster is missing (only reached in CI).</summary>
    public static void Require()
    {
        if (Problem is { } p) Assert.Fail($"SLURM is required under CI=true: {p}");
    }

    public static (int Code, string Out, string Err) Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            var o = p.StandardOutput.ReadToEndAsync();
            var e = p.StandardError.ReadToEndAsync();
            p.WaitForExit();
            return (p.ExitCode, o.Result, e.Result);
        }
        catch (System.ComponentModel.Win32Exception e) { return (127, "", e.Message); }
    }

    /// <summary>Polls SLURM every 200 ms until <paramref name="until"/> holds for the job (bounded; the failure names the last state).</summary>
    public static async Task<SlurmJob> WaitAsync(string jobId, Func<SlurmJob, bool> until, string what, int timeoutSeconds = 120)
    {
        var clock = Stopwatch.StartNew();
        SlurmJob? last = null;
        while (clock.Elapsed.TotalSeconds < timeoutSeconds)
        {
            last = await SlurmJobs.FindAsync(jobId);
            if (last is not null && until(last)) return last;
            await Task.Delay(200);
        }
        throw new TimeoutException($"job {jobId} did not reach '{what}' within {timeoutSeconds} s; last seen: {last}");
    }

    /// <summary>Waits until every task of the array has ended, and returns them.</summary>
    public static async Task<IReadOnlyList<SlurmJob>> WaitForArrayAsync(string jobId, int timeoutSeconds = 180)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < timeoutSeconds)
        {
            var tasks = await SlurmJobs.TasksAsync(jobId);
            if (tasks.Count > 0 && tasks.All(t => t.Ended)) return tasks;
            await Task.Delay(200);
        }
        throw new TimeoutException($"array job {jobId} did not end within {timeoutSeconds} s: {string.Join("; ", await SlurmJobs.TasksAsync(jobId))}");
    }

    /// <summary>How the cluster's jobs run this build of the CLI: the host plus safetynb.dll.</summary>
    public static string[] Safetynb()
    {
        var dll = new[] { AppContext.BaseDirectory, Path.Combine(Foundation.TestDirs.RepoRoot(), "src", "SafetyNotebooks.Cli", "bin", "safetynb") }
            .Select(d => Path.Combine(d, "safetynb.dll"))
            .First(f => File.Exists(f) && File.Exists(Path.ChangeExtension(f, ".runtimeconfig.json")));
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h
            : Submission.FindOnPath("dotnet") ?? "dotnet";
        return [host, dll];
    }
}

/// <summary>A test on the real SLURM cluster: skipped with the reason when none answers here, failed when CI=true.</summary>
public sealed class SlurmFactAttribute : FactAttribute
{
    public SlurmFactAttribute()
    {
        if (SlurmCluster.Problem is { } p && !SlurmCluster.InCi) Skip = $"no SLURM cluster: {p} (under CI=true this test fails instead)";
    }
}

/// <summary>
/// Cluster tests run one after another (the LitGPT jobs take the whole node, --exclusive), alongside the other
/// test classes.
/// </summary>
[CollectionDefinition("Slurm")]
public sealed class SlurmCollection;
